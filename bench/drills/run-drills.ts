import { clientCancelsDrill } from "./client-cancels-drill";
import { formatTable, type DrillResult } from "./drill-result";
import { midStreamResetDrill } from "./mid-stream-reset-drill";
import { shortDeadlineDrill } from "./short-deadline-drill";
import { slowStorageDrill } from "./slow-storage-drill";
import { storageOutageDrill } from "./storage-outage-drill";

/** The full-size drills (`npm run drill`); the test suite runs the same with smaller counts. */
export const FULL_DRILLS: ReadonlyArray<() => Promise<DrillResult>> = [
  () => storageOutageDrill({ halfOpenMs: 3_000, fastCalls: 50 }),
  () => midStreamResetDrill({ fileBytes: 16 * 1024 * 1024, resetAfterBytes: 1024 * 1024 }),
  () => clientCancelsDrill({ cancels: 1_000, concurrency: 20, seed: 20261203 }),
  () => shortDeadlineDrill({ processingMs: 2_000, deadlineMs: 400 }),
  () => slowStorageDrill({ fileBytes: 4 * 1024 * 1024, latencyMs: 50, bytesPerSecond: 2 * 1024 * 1024 }),
];

async function main(): Promise<void> {
  const results: DrillResult[] = [];
  for (const drill of FULL_DRILLS) {
    const result = await drill();
    process.stderr.write(`${result.pass ? "pass" : "FAIL"}  ${result.drill}\n`);
    results.push(result);
  }
  process.stdout.write(`${formatTable(results)}\n`);
  if (results.some((r) => !r.pass)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
