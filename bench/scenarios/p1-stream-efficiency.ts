import path from "node:path";
import { CLIENT_CHUNK_SIZE_BYTES } from "../../src/download/client-transport";
import { fileKey } from "../../src/storage/keys";
import { TEST_BUCKET, TEST_CREDENTIALS } from "../../test/support/s3-server";
import { cpuMsOf, runLoad, startChild, type Child } from "../lib/children";
import { serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import { atLeast, type Figure } from "../lib/figures";
import { writeFile } from "../lib/fixtures";
import { median, mibPerSecond, MiB } from "../lib/stats";
import type { LoadTask, TransferResult } from "../load/tasks";

const FILE_ID = 20_001;
const S3_FILE_ID = 20_003;
const DEFAULT_WINDOW = 65_535;

const rate = (r: TransferResult) => mibPerSecond(r.bytes, r.ms);
/** CPU ms per MiB moved, server and client together: unlike throughput, barely moved by other load. */
const cpuPerMiB = (r: TransferResult) => ((r.serverCpuMs ?? 0) + (r.clientCpuMs ?? 0)) / (r.bytes / MiB);

const serverCpuPerMiB = (r: TransferResult) => (r.serverCpuMs ?? 0) / (r.bytes / MiB);
const clientCpuPerMiB = (r: TransferResult) => (r.clientCpuMs ?? 0) / (r.bytes / MiB);

async function withServerCpu(pid: number, task: LoadTask): Promise<TransferResult> {
  const before = cpuMsOf(pid);
  const result = await runLoad<TransferResult>(task);
  return { ...result, serverCpuMs: cpuMsOf(pid) - before };
}

/**
 * One prepared file through the service vs a bare node:http2 server piping it with the same receive
 * window, vs reading it from disk; and the s3 driver vs a direct minio GET from the same s3rver.
 * Variants run interleaved, so every ratio compares runs made under the same machine load.
 */
export async function p1StreamEfficiency(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { bytes, runs, window, s3Bytes, s3Runs, sweep } = ctx.profile.p1;
  const dataDir = path.join(ctx.workDir, "p1");
  const file = await writeFile(dataDir, FILE_ID, bytes);
  const s3File = await writeFile(path.join(ctx.workDir, "p1-s3"), S3_FILE_ID, s3Bytes);

  const fs = await withChildren(async (track) => {
    const service = track(await startService(serviceEnv(dataDir)));
    const plain = track(await startChild("plain-http2-server.js", { args: [file] }));
    const bare = track(await startChild("bare-grpc-server.js", { args: [dataDir, "serve"] }));
    await runLoad({ kind: "prepare", address: `127.0.0.1:${service.port}`, fileIds: [FILE_ID] });
    const grpc =
      (chunkSizeBytes: number, win: number, server: Child = service) =>
      () =>
        withServerCpu(server.pid, {
          kind: "grpc-download",
          address: `127.0.0.1:${server.port}`,
          fileId: FILE_ID,
          chunkSizeBytes,
          window: win,
          expectBytes: bytes,
        });
    const variants = {
      // As our clients download: createDownloadClient's window and CLIENT_CHUNK_SIZE_BYTES.
      service: grpc(CLIENT_CHUNK_SIZE_BYTES, window),
      // The same client and window against grpc-js alone (1 MiB file reads, our chunk codec).
      bareGrpc: grpc(CLIENT_CHUNK_SIZE_BYTES, window, bare),
      serviceDefaultChunks: grpc(0, window),
      serviceDefaultWindow: grpc(0, DEFAULT_WINDOW),
      http2: () => withServerCpu(plain.pid, { kind: "http2-download", port: plain.port, window }),
      http2DefaultWindow: () =>
        withServerCpu(plain.pid, { kind: "http2-download", port: plain.port, window: DEFAULT_WINDOW }),
      fileRead: () => runLoad<TransferResult>({ kind: "file-read", path: file, pieceBytes: 256 * 1024 }),
    };
    const results: Record<keyof typeof variants, TransferResult[]> = {
      service: [],
      bareGrpc: [],
      serviceDefaultChunks: [],
      serviceDefaultWindow: [],
      http2: [],
      http2DefaultWindow: [],
      fileRead: [],
    };
    const chosen = sweep
      ? variants
      : {
          service: variants.service,
          bareGrpc: variants.bareGrpc,
          http2: variants.http2,
          fileRead: variants.fileRead,
        };
    for (let run = 0; run < runs; run++) {
      for (const [name, go] of Object.entries(chosen) as Array<
        [keyof typeof variants, () => Promise<TransferResult>]
      >) {
        const result = await go();
        if (result.bytes !== bytes) throw new Error(`P1 ${name}: ${result.bytes} of ${bytes} bytes`);
        results[name].push(result);
      }
      ctx.log(
        `P1 run ${run + 1}/${runs}: service ${rate(results.service[run]!).toFixed(0)} MiB/s, ` +
          `bare grpc-js ${rate(results.bareGrpc[run]!).toFixed(0)} MiB/s, http2 ${rate(results.http2[run]!).toFixed(0)} MiB/s`,
      );
    }
    return results;
  });

  const s3 = await withChildren(async (track) => {
    const s3rver = track(await startChild("s3-process.js"));
    const endpoint = `http://127.0.0.1:${s3rver.port}`;
    const key = fileKey(S3_FILE_ID);
    await runLoad({ kind: "s3-put", endpoint, key, path: s3File });
    const service = track(
      await startService(
        serviceEnv(path.join(ctx.workDir, "p1-s3"), {
          STORAGE_DRIVER: "s3",
          S3_ENDPOINT: endpoint,
          S3_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          S3_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          S3_BUCKET_NAME: TEST_BUCKET,
        }),
      ),
    );
    const address = `127.0.0.1:${service.port}`;
    await runLoad({ kind: "prepare", address, fileIds: [S3_FILE_ID] });
    const out = { service: [] as TransferResult[], minio: [] as TransferResult[] };
    for (let run = 0; run < s3Runs; run++) {
      out.service.push(
        await runLoad<TransferResult>({
          kind: "grpc-download",
          address,
          fileId: S3_FILE_ID,
          chunkSizeBytes: CLIENT_CHUNK_SIZE_BYTES,
          window,
          expectBytes: s3Bytes,
        }),
      );
      out.minio.push(await runLoad<TransferResult>({ kind: "s3-get", endpoint, key }));
      if (out.minio.at(-1)!.bytes !== s3Bytes) throw new Error("P1 s3: short minio read");
    }
    return out;
  });

  const ratios = (a: TransferResult[], b: TransferResult[]) => a.map((r, i) => rate(r) / rate(b[i]!));
  const vsHttp2 = median(ratios(fs.service, fs.http2));
  const mib = (n: number) => `${Math.round(n / MiB)} MiB`;
  const figures: Figure[] = [
    {
      id: "P1",
      name: `service / plain node:http2, ${mib(bytes)}, same ${mib(window)} window, ${mib(CLIENT_CHUNK_SIZE_BYTES)} chunks`,
      value: vsHttp2,
      unit: "×",
      target: "≥ 0.9",
      met: atLeast(vsHttp2, 0.9),
      kind: "timing",
      detail: `median of ${runs} same-run ratios`,
    },
    info("P1", "service (1 MiB chunks, 16 MiB window)", median(fs.service.map(rate)), "MiB/s"),
    info("P1", "plain node:http2 (16 MiB window)", median(fs.http2.map(rate)), "MiB/s"),
    info("P1", "CPU ms per MiB, service (server + client)", median(fs.service.map(cpuPerMiB)), "ms"),
    info("P1", "CPU ms per MiB, plain node:http2 (server + client)", median(fs.http2.map(cpuPerMiB)), "ms"),
    info(
      "P1",
      "CPU per MiB, plain node:http2 / service (efficiency, robust to load)",
      median(fs.service.map((r, i) => cpuPerMiB(fs.http2[i]!) / cpuPerMiB(r))),
      "×",
    ),
    info("P1", "server CPU ms per MiB, service", median(fs.service.map(serverCpuPerMiB)), "ms"),
    info("P1", "server CPU ms per MiB, plain node:http2", median(fs.http2.map(serverCpuPerMiB)), "ms"),
    info(
      "P1",
      "client CPU ms per MiB, service (grpc-js client)",
      median(fs.service.map(clientCpuPerMiB)),
      "ms",
    ),
    info("P1", "client CPU ms per MiB, plain node:http2", median(fs.http2.map(clientCpuPerMiB)), "ms"),
    info(
      "P1",
      "bare grpc-js server, same client (grpc-js alone: no store, jobs, limits, metrics)",
      median(fs.bareGrpc.map(rate)),
      "MiB/s",
    ),
    info("P1", "service / bare grpc-js (same-run pairs)", median(ratios(fs.service, fs.bareGrpc)), "×"),
    info(
      "P1",
      "bare grpc-js / plain node:http2 (same-run pairs)",
      median(ratios(fs.bareGrpc, fs.http2)),
      "×",
    ),
    info("P1", "server CPU ms per MiB, bare grpc-js", median(fs.bareGrpc.map(serverCpuPerMiB)), "ms"),
    ...(sweep
      ? [
          info(
            "P1",
            "service, server-default 256 KiB chunks",
            median(fs.serviceDefaultChunks.map(rate)),
            "MiB/s",
          ),
          info(
            "P1",
            "service with 256 KiB chunks / plain node:http2",
            median(ratios(fs.serviceDefaultChunks, fs.http2)),
            "×",
          ),
          info(
            "P1",
            "server CPU ms per MiB, 256 KiB chunks",
            median(fs.serviceDefaultChunks.map(serverCpuPerMiB)),
            "ms",
          ),
          info(
            "P1",
            "service, default 64 KiB client window",
            median(fs.serviceDefaultWindow.map(rate)),
            "MiB/s",
          ),
          info(
            "P1",
            "plain node:http2, default 64 KiB window",
            median(fs.http2DefaultWindow.map(rate)),
            "MiB/s",
          ),
        ]
      : []),
    info("P1", "raw file read (256 KiB pieces)", median(fs.fileRead.map(rate)), "MiB/s"),
    info("P1", "service / raw file read", median(ratios(fs.service, fs.fileRead)), "×"),
    info("P1", `s3 driver through the service, ${mib(s3Bytes)}`, median(s3.service.map(rate)), "MiB/s"),
    info("P1", "direct minio GET, same s3rver", median(s3.minio.map(rate)), "MiB/s"),
    info("P1", "service (s3) / direct minio GET", median(ratios(s3.service, s3.minio)), "×"),
  ];
  return { figures, raw: { fs, s3 } };
}

function info(id: string, name: string, value: number, unit: string): Figure {
  return { id, name, value, unit, target: "", met: undefined, kind: "info" };
}
