import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Job } from "../../../src/jobs/job";

const INFO = { size: 1000, etag: "e", lastModified: new Date() };

describe("Job snapshots", () => {
  it("queued: 0 % with the registry's estimate; processing: rising, < 100; ready: 100", async () => {
    const job = new Job(10_000, INFO, () => ({ etaMs: 5000, ahead: 3 }));
    assert.deepEqual(job.snapshot(), {
      phase: "queued",
      progressPercent: 0,
      estimatedRemainingMs: 5000,
      message: "waiting for a processing slot (3 ahead)",
    });
    job.startProcessing(200);
    const seen: number[] = [];
    const etas: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = job.snapshot();
      seen.push(s.progressPercent);
      etas.push(s.estimatedRemainingMs);
      await sleep(30);
    }
    job.addScanned(1000);
    assert.ok(
      seen.every((p, i) => p < 100 && (i === 0 || p >= seen[i - 1]!)),
      seen.join(","),
    );
    assert.ok(etas.at(-1)! < etas[0]!, etas.join(","));
    job.finish({
      fileId: 10_000,
      sizeBytes: 1000,
      sha256: "a".repeat(64),
      etag: "e",
      preparedAt: "",
      processingMs: 1,
    });
    assert.equal(job.snapshot().progressPercent, 100);
    assert.equal(job.phase, "ready");
  });

  it("tells phase listeners, and a failed job rejects its result", async () => {
    const job = new Job(10_000, INFO, () => ({ etaMs: 0, ahead: 0 }));
    const phases: string[] = [];
    const off = job.onPhaseChange((p) => phases.push(p));
    job.startProcessing(0);
    job.fail(new Error("boom"));
    off();
    assert.deepEqual(phases, ["processing", "failed"]);
    await assert.rejects(job.result, /boom/);
  });
});
