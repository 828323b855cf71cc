import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DelineateClient, type ClientOptions } from "../node";
import { BarView } from "./bar-view";
import { phaseName } from "./format";
import { PlainView } from "./plain-view";
import type { ProgressView } from "./progress-view";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

interface GlobalOptions {
  server: string;
  apiKey?: string;
  tls?: boolean;
  ca?: string;
}

/** Runs the CLI; answers the exit code instead of exiting, so it can be tested and composed. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command("delineate")
    .description("Download files from a Delineate server, with progress, resume and sha256 verification.")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addOption(
      new Option("-s, --server <host:port>", "server address")
        .env("DELINEATE_SERVER")
        .default("localhost:50051"),
    )
    .addOption(new Option("-k, --api-key <key>", "API key (sent as a Bearer token)").env("DELINEATE_API_KEY"))
    .option("--tls", "connect with TLS")
    .addOption(new Option("--ca <file>", "PEM CA bundle for TLS (implies --tls)").env("DELINEATE_CA"));
  const connect = (): DelineateClient => {
    const options = program.opts<GlobalOptions>();
    const tls: ClientOptions["tls"] = options.ca
      ? { ca: readFileSync(options.ca) }
      : options.tls
        ? true
        : undefined;
    return new DelineateClient(options.server, { apiKey: options.apiKey, tls });
  };

  program
    .command("download")
    .description("download files to DIR/{id}.zip (via a .part file that a later run resumes)")
    .argument("<id...>", "file ids", collectIds)
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("-c, --concurrency <n>", "files downloaded at once", positiveInt, 4)
    .option("--idle-timeout <ms>", "abandon and resume a stream silent for this long", positiveInt, 15_000)
    .action(async (ids: number[], options: { output: string; concurrency: number; idleTimeout: number }) => {
      await mkdir(options.output, { recursive: true });
      const view: ProgressView = io.stdout.isTTY
        ? new BarView(io.stdout)
        : new PlainView(io.stdout, io.stderr);
      const client = connect();
      let failed = 0;
      try {
        await forEachLimited(ids, options.concurrency, async (id) => {
          try {
            await client.downloadFile(id, path.join(options.output, `${id}.zip`), {
              onEvent: (event) => view.onEvent(event),
              idleTimeoutMs: options.idleTimeout,
            });
          } catch (error) {
            failed++;
            view.failed(id, (error as Error).message);
          }
        });
      } finally {
        view.stop();
        client.close();
      }
      exitCode = failed > 0 ? EXIT_FAILED : EXIT_OK;
    });

  program
    .command("check")
    .description("say whether files exist, their size and whether they are prepared")
    .argument("<id...>", "file ids", collectIds)
    .action(async (ids: number[]) => {
      const client = connect();
      try {
        for (const id of ids) {
          const r = await client.checkFile(id);
          if (!r.available) {
            io.stdout.write(`${id} not found\n`);
            exitCode = EXIT_FAILED;
            continue;
          }
          const sha = r.prepared ? ` sha256 ${r.sha256}` : "";
          io.stdout.write(
            `${id} available ${r.sizeBytes} bytes prepared=${r.prepared ? "yes" : "no"}${sha}\n`,
          );
        }
      } finally {
        client.close();
      }
    });

  program
    .command("prepare")
    .description("start preparing files now, so a later download streams at once")
    .argument("<id...>", "file ids", collectIds)
    .action(async (ids: number[]) => {
      const client = connect();
      try {
        for (const file of await client.prepareFiles(ids)) {
          if (!file.available) {
            io.stdout.write(`${file.fileId} not found\n`);
            exitCode = EXIT_FAILED;
            continue;
          }
          const job = file.jobId ? ` job ${file.jobId}${file.joinedExistingJob ? " (joined)" : ""}` : "";
          io.stdout.write(`${file.fileId} ${phaseName(file.phase)}${job}\n`);
        }
      } finally {
        client.close();
      }
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, successfully.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const e = error as { details?: string; message?: string };
    io.stderr.write(`delineate: ${e.details || e.message || String(error)}\n`);
    return EXIT_FAILED;
  }
}

/** Commander calls this once per variadic value. */
function collectIds(value: string, previous: number[] | undefined): number[] {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`"${value}" is not a file id (a positive integer)`);
  }
  return [...(previous ?? []), Number(value)];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
