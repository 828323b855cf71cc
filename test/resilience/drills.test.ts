import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { clientCancelsDrill } from "../../bench/drills/client-cancels-drill";
import type { DrillResult } from "../../bench/drills/drill-result";
import { midStreamResetDrill } from "../../bench/drills/mid-stream-reset-drill";
import { shortDeadlineDrill } from "../../bench/drills/short-deadline-drill";
import { slowStorageDrill } from "../../bench/drills/slow-storage-drill";
import { storageOutageDrill } from "../../bench/drills/storage-outage-drill";
import { trackSuiteResources } from "../support/no-leaks";

/** The `npm run drill` drills with smaller counts and files (the full run is in bench/drills). */
describe("failure drills", () => {
  const resources = trackSuiteResources();
  after(() => resources.assertClean());

  const passes = (result: DrillResult) => assert.ok(result.pass, `${result.drill}: ${result.observed}`);

  it("storage down for a while: breaker opens after 5, fails fast, recovery closes it", async () => {
    passes(await storageOutageDrill({ halfOpenMs: 1_500, fastCalls: 20 }));
  });

  it("connection reset mid-stream: download completes with the right sha256", async () => {
    const result = await midStreamResetDrill({ fileBytes: 4 * 1024 * 1024, resetAfterBytes: 512 * 1024 });
    passes(result);
    assert.equal(result.bytesVerified, 4 * 1024 * 1024);
  });

  it("100 client cancels at random points: nothing leaks, registry empty", async () => {
    passes(await clientCancelsDrill({ cancels: 100, concurrency: 20, seed: 7 }));
  });

  it("client deadline shorter than processing: one scan, the retry reattaches", async () => {
    passes(await shortDeadlineDrill({ processingMs: 1_200, deadlineMs: 300 }));
  });

  it("storage slow: heartbeats keep their cadence, the stream never goes quiet", async () => {
    passes(
      await slowStorageDrill({ fileBytes: 1536 * 1024, latencyMs: 40, bytesPerSecond: 2 * 1024 * 1024 }),
    );
  });
});
