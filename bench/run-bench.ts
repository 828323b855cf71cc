import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BenchContext } from "./lib/context";
import type { Figure } from "./lib/figures";
import type { Profile } from "./lib/profile";
import { p1StreamEfficiency } from "./scenarios/p1-stream-efficiency";
import { p2Memory } from "./scenarios/p2-memory";
import { p3WaitingStreams } from "./scenarios/p3-waiting-streams";
import { p4Dedup } from "./scenarios/p4-dedup";
import { p5FirstStatus } from "./scenarios/p5-first-status";
import { p6SmallDownloads } from "./scenarios/p6-small-downloads";

export const SCENARIOS = {
  P1: p1StreamEfficiency,
  P2: p2Memory,
  P3: p3WaitingStreams,
  P4: p4Dedup,
  P5: p5FirstStatus,
  P6: p6SmallDownloads,
} as const;

export type ScenarioId = keyof typeof SCENARIOS;

export interface BenchReport {
  readonly profile: Profile["name"];
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: {
    readonly nproc: number;
    readonly cpu: string;
    readonly node: string;
    readonly memoryGiB: number;
    readonly loadavgBefore: number[];
    readonly loadavgAfter: number[];
  };
  readonly figures: Figure[];
  readonly raw: Record<string, unknown>;
}

/** Runs the chosen scenarios one after another, each with its own fresh server and load processes. */
export async function runBench(
  profile: Profile,
  options: { only?: readonly ScenarioId[]; log?: (message: string) => void } = {},
): Promise<BenchReport> {
  const started = Date.now();
  const loadavgBefore = os.loadavg();
  const workDir = await mkdtemp(path.join(os.tmpdir(), "delineate-bench-"));
  const ctx: BenchContext = { profile, workDir, log: options.log ?? (() => undefined) };
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = {};
  try {
    for (const id of options.only ?? (Object.keys(SCENARIOS) as ScenarioId[])) {
      const t0 = Date.now();
      const out = await SCENARIOS[id](ctx);
      figures.push(...out.figures);
      raw[id] = { ...(out.raw as object), seconds: (Date.now() - t0) / 1000 };
      ctx.log(`${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return {
    profile: profile.name,
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    machine: {
      nproc: os.availableParallelism(),
      cpu: cpuModel(),
      node: process.version,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadavgBefore,
      loadavgAfter: os.loadavg(),
    },
    figures,
    raw,
  };
}

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

/** The results as a Markdown table: figure, value, target, met. */
export function formatTable(report: BenchReport): string {
  const rows = report.figures.map((f) => {
    const met = f.met === undefined ? "" : f.met ? "yes" : "**no**";
    const detail = f.detail ? ` (${f.detail})` : "";
    return `| ${f.id} | ${f.name}${detail} | ${formatValue(f.value)} ${f.unit} | ${f.target} | ${met} |`;
  });
  return ["| | Figure | Value | Target | Met |", "|---|---|---|---|---|", ...rows].join("\n");
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(1);
}
