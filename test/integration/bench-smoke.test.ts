import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SMOKE } from "../../bench/lib/profile";
import { runBench } from "../../bench/run-bench";
import { trackSuiteResources } from "../support/no-leaks";

/**
 * The benchmark harness at tiny sizes (`npm run bench -- --profile smoke`): every scenario runs
 * end to end in its own processes and every correctness figure holds. No timing is asserted here;
 * speed is what `npm run bench` reports.
 */
describe("bench smoke (P1–P6 at tiny sizes)", () => {
  const resources = trackSuiteResources();
  after(() => resources.assertClean());

  it("runs every scenario; correctness figures met, every figure a number", async () => {
    const report = await runBench(SMOKE);
    const ids = new Set(report.figures.map((f) => f.id));
    assert.deepEqual([...ids], ["P1", "P2", "P3", "P4", "P5", "P6"]);
    for (const figure of report.figures) {
      assert.ok(Number.isFinite(figure.value), `${figure.id} ${figure.name}: ${figure.value}`);
      if (figure.kind === "correctness") {
        assert.equal(
          figure.met,
          true,
          `${figure.id} ${figure.name}: ${figure.value} (${figure.detail ?? ""})`,
        );
      }
    }
  });
});
