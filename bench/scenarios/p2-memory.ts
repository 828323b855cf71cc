import path from "node:path";
import { rssOf, runLoad, sampleRss } from "../lib/children";
import { serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import { atMost, type Figure } from "../lib/figures";
import { writeFile } from "../lib/fixtures";
import { MiB } from "../lib/stats";
import type { TransferResult } from "../load/tasks";

const WARMUP_FILE_ID = 21_000;
const FIRST_FILE_ID = 21_001;
const TARGET_MIB = 64;

/**
 * Server RSS growth while a reader that is slower than the server downloads a big file. Each size
 * gets a fresh server (the file already prepared, so no scan runs), warmed by one small download.
 */
export async function p2Memory(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { sizes, bytesPerSecond } = ctx.profile.p2;
  const dataDir = path.join(ctx.workDir, "p2");
  await writeFile(dataDir, WARMUP_FILE_ID, 4 * MiB);
  const ids = sizes.map((_, i) => FIRST_FILE_ID + i);
  for (const [i, size] of sizes.entries()) await writeFile(dataDir, ids[i]!, size);

  await withChildren(async (track) => {
    const service = track(await startService(serviceEnv(dataDir)));
    await runLoad({
      kind: "prepare",
      address: `127.0.0.1:${service.port}`,
      fileIds: [WARMUP_FILE_ID, ...ids],
    });
  });

  const runs = [];
  for (const [i, size] of sizes.entries()) {
    const run = await withChildren(async (track) => {
      const service = track(await startService(serviceEnv(dataDir)));
      const address = `127.0.0.1:${service.port}`;
      await runLoad({ kind: "slow-download", address, fileId: WARMUP_FILE_ID, bytesPerSecond: 1024 * MiB });
      const baseline = rssOf(service.pid);
      const sampler = sampleRss(service.pid, 25);
      const transfer = await runLoad<TransferResult>({
        kind: "slow-download",
        address,
        fileId: ids[i]!,
        bytesPerSecond,
      });
      const { peakBytes, samples } = sampler.stop();
      if (transfer.bytes !== size) throw new Error(`P2: read ${transfer.bytes} of ${size} bytes`);
      return { size, baseline, peakBytes, samples, growth: peakBytes - baseline, ms: transfer.ms };
    });
    ctx.log(
      `P2 ${size / MiB} MiB: RSS ${toMiB(run.baseline)} → ${toMiB(run.peakBytes)} MiB in ${(run.ms / 1000).toFixed(1)} s`,
    );
    runs.push(run);
  }
  const figures: Figure[] = runs.map((run) => ({
    id: "P2",
    name: `server RSS growth, slow reader (${bytesPerSecond / MiB} MiB/s), ${run.size / MiB} MiB file`,
    value: run.growth / MiB,
    unit: "MiB",
    target: `≤ ${TARGET_MIB}`,
    met: atMost(run.growth / MiB, TARGET_MIB),
    kind: "timing",
    detail: `baseline ${toMiB(run.baseline)} MiB, peak ${toMiB(run.peakBytes)} MiB, ${run.samples} samples`,
  }));
  return { figures, raw: runs };
}

function toMiB(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
