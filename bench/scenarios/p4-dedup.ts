import path from "node:path";
import { runLoad } from "../lib/children";
import { fixedDelay, serviceEnv, startService, withChildren, type BenchContext } from "../lib/context";
import type { Figure } from "../lib/figures";
import { writeFile } from "../lib/fixtures";
import type { DedupResult } from "../load/tasks";

const FILE_ID = 40_000;

/** N concurrent downloads of one cold file: one job (job ids the streams saw), one scan (onScan count). */
export async function p4Dedup(ctx: BenchContext): Promise<{ figures: Figure[]; raw: unknown }> {
  const { streams, bytes, delayMs } = ctx.profile.p4;
  const dataDir = path.join(ctx.workDir, "p4");
  await writeFile(dataDir, FILE_ID, bytes);
  const { result, scans } = await withChildren(async (track) => {
    const service = track(
      await startService(
        serviceEnv(dataDir, {
          ...fixedDelay(delayMs),
        }),
      ),
    );
    const result = await runLoad<DedupResult>({
      kind: "dedup",
      address: `127.0.0.1:${service.port}`,
      fileId: FILE_ID,
      streams,
    });
    return { result, scans: (await service.stats()).scans };
  });
  ctx.log(`P4: ${result.ok} ok, jobs ${result.jobIds.join(",")}, ${scans} scans, ${result.joined} joined`);
  const figures: Figure[] = [
    {
      id: "P4",
      name: `jobs for ${streams} concurrent downloads of one cold file`,
      value: result.jobIds.length,
      unit: "jobs",
      target: "= 1",
      met: result.jobIds.length === 1 && result.jobIds[0] !== "" && result.joined === streams - 1,
      kind: "correctness",
      detail: `${result.joined} streams joined the job`,
    },
    {
      id: "P4",
      name: "sha256 scans",
      value: scans,
      unit: "scans",
      target: "= 1",
      met: scans === 1,
      kind: "correctness",
    },
    {
      id: "P4",
      name: `downloads complete with equal sha256 (of ${streams})`,
      value: result.ok,
      unit: "downloads",
      target: `= ${streams}`,
      met: result.ok === streams && result.sha256s.length === 1,
      kind: "correctness",
      detail: `${result.sha256s.length} distinct sha256`,
    },
  ];
  return { figures, raw: { ...result, scans } };
}
