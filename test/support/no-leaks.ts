import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, before, beforeEach } from "node:test";

/** Resource kinds that mean a test left something open: sockets, servers, timers, file handles. */
const WATCHED = new Set([
  "TCPSocketWrap",
  "TCPServerWrap",
  "Timeout",
  "FSReqCallback",
  "FileHandle",
  "ChildProcess",
  "Pipe",
]);

type Counts = Map<string, number>;

function counts(): Counts {
  const out: Counts = new Map();
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) out.set(kind, (out.get(kind) ?? 0) + 1);
  }
  return out;
}

async function assertBackTo(baseline: Counts): Promise<void> {
  let leaked: string[] = [];
  // Closing is asynchronous (sockets, GOAWAY): give it a moment before judging.
  for (let i = 0; i < 100; i++) {
    leaked = [...counts()]
      .filter(([kind, n]) => n > (baseline.get(kind) ?? 0))
      .map(([kind, n]) => `${kind}×${n - (baseline.get(kind) ?? 0)}`);
    if (leaked.length === 0) return;
    await sleep(20);
  }
  assert.deepEqual(leaked, [], `resources left open: ${leaked.join(", ")}`);
}

/**
 * Each test must close every socket, server and timer it opened (connect-es does the same for
 * connections): a leaked stream, channel or timer fails the test that leaked it.
 */
export function assertNoLeaks(): void {
  let baseline: Counts = new Map();
  beforeEach(() => {
    baseline = counts();
  });
  afterEach(() => assertBackTo(baseline));
}

/**
 * For suites that share one server across tests: snapshot before the suite, and call
 * `assertClean()` at the end of the suite's own `after`, once the server and clients are closed.
 */
export function trackSuiteResources(): { assertClean(): Promise<void> } {
  let baseline: Counts = new Map();
  before(() => {
    baseline = counts();
  });
  return { assertClean: () => assertBackTo(baseline) };
}
