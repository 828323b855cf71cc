import { setTimeout as sleep } from "node:timers/promises";

/** Handle kinds that would mean a leak: sockets, servers, timers, file handles. */
const WATCHED = ["TCPSocketWrap", "TCPServerWrap", "Timeout", "FSReqCallback", "FileHandle"] as const;

export type ResourceCounts = Record<string, number>;

export function resourceCounts(): ResourceCounts {
  const counts: ResourceCounts = Object.fromEntries(WATCHED.map((kind) => [kind, 0]));
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind]! += 1;
  }
  return counts;
}

/** What is still above the baseline after up to `withinMs` of settling (closing is asynchronous). */
export async function excessOver(baseline: ResourceCounts, withinMs: number): Promise<ResourceCounts> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const now = resourceCounts();
    const excess = Object.fromEntries(
      Object.entries(now)
        .map(([kind, n]) => [kind, n - (baseline[kind] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    if (Object.keys(excess).length === 0 || performance.now() > deadline) return excess;
    await sleep(50);
  }
}

export function describeCounts(counts: ResourceCounts): string {
  const parts = Object.entries(counts).map(([kind, n]) => `${kind}+${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}
