import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { FULL, SMOKE } from "./lib/profile";
import { formatTable, runBench, SCENARIOS, type ScenarioId } from "./run-bench";

/** `npm run bench`: every scenario, a table on stdout, JSON in bench/results/latest.json. */
async function main(): Promise<void> {
  const program = new Command("bench")
    .addOption(new Option("--profile <name>", "sizes to run").choices(["full", "smoke"]).default("full"))
    .option("--only <ids>", "comma-separated scenario ids, e.g. P1,P5")
    .option(
      "--out <file>",
      "JSON output",
      path.join(__dirname, "..", "..", "bench", "results", "latest.json"),
    )
    .parse();
  const opts = program.opts<{ profile: "full" | "smoke"; only?: string; out: string }>();
  const only = opts.only?.split(",").map((id) => id.trim().toUpperCase()) as ScenarioId[] | undefined;
  for (const id of only ?? []) if (!(id in SCENARIOS)) throw new Error(`unknown scenario ${id}`);
  const profile = opts.profile === "smoke" ? SMOKE : FULL;
  console.log(
    `bench: profile ${profile.name}, ${os.availableParallelism()} CPUs, load ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  const report = await runBench(profile, { only, log: (m) => console.log(`  ${m}`) });
  console.log(`\n${formatTable(report)}\n`);
  console.log(
    `${report.machine.nproc} × ${report.machine.cpu}, node ${report.machine.node}, ` +
      `${report.durationS.toFixed(0)} s, loadavg ${report.machine.loadavgBefore.map((n) => n.toFixed(2)).join(" ")} → ` +
      `${report.machine.loadavgAfter.map((n) => n.toFixed(2)).join(" ")}`,
  );
  await mkdir(path.dirname(opts.out), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${opts.out}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
