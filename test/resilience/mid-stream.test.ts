import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { DownloadPhase } from "../../src/gen/delineate/v1/download_service";
import { collectDownload, downloadRequest, statuses } from "../support/collect";
import { makeFile, sha256 } from "../support/files";
import { useStorageLab } from "../support/storage-lab";

const FILE = makeFile(31_001, 3 * 1024 * 1024 + 77);
const SLOW_FILE = makeFile(31_002, 2 * 1024 * 1024);

function completeSha(result: Awaited<ReturnType<typeof collectDownload>>): string | undefined {
  const last = result.messages.at(-1)?.message.event;
  return last?.$case === "complete" ? last.value.sha256 : undefined;
}

describe("storage connection reset mid-stream", () => {
  const lab = useStorageLab({ files: [FILE], env: { DOWNLOAD_DELAY_ENABLED: "false" } });

  it("re-reads from the next offset: one unbroken stream with the right sha256", async () => {
    const proxy = lab().proxies[0]!;
    // Every storage connection is reset once it has carried 700 KiB: scan and download both break.
    proxy.setMode({ kind: "reset-after", bytes: 700 * 1024 });
    const result = await collectDownload(lab().server.client(), downloadRequest(FILE.fileId));
    proxy.setMode({ kind: "pass" });
    assert.equal(result.status.code, status.OK, result.status.details);
    assert.ok(proxy.resets >= 8, `expected resets in both scan and download, saw ${proxy.resets}`);
    assert.equal(result.bytes.length, FILE.bytes.length);
    assert.equal(sha256(result.bytes), FILE.sha256);
    assert.equal(completeSha(result), FILE.sha256);
    const chunks = result.messages.flatMap((m) =>
      m.message.event?.$case === "chunk" ? [m.message.event.value] : [],
    );
    let offset = 0;
    for (const chunk of chunks) {
      assert.equal(chunk.offset, offset, "chunks contiguous across the resumes");
      offset += chunk.data.length;
    }
  });
});

describe("storage that stalls mid-stream", () => {
  const lab = useStorageLab({ files: [SLOW_FILE], env: { DOWNLOAD_DELAY_ENABLED: "false" } });

  it("drops the silent connection after the idle timeout and resumes once storage answers", async () => {
    const proxy = lab().proxies[0]!;
    proxy.setMode({ kind: "slow", bytesPerSecond: 4 * 1024 * 1024 });
    let stalledAt = 0;
    let connectionsAtStall = 0;
    const result = await collectDownload(lab().server.client(), downloadRequest(SLOW_FILE.fileId), {
      onMessage: (m) => {
        if (m.event?.$case !== "chunk" || stalledAt > 0) return;
        stalledAt = performance.now();
        connectionsAtStall = proxy.connections;
        proxy.setMode({ kind: "hang" });
        // Longer than STORAGE_TIMEOUT_MS (600 ms): the open read goes silent and must be given up.
        setTimeout(() => proxy.setMode({ kind: "pass" }), 1_000);
      },
    });
    assert.equal(result.status.code, status.OK, result.status.details);
    assert.equal(sha256(result.bytes), SLOW_FILE.sha256);
    assert.ok(proxy.connections > connectionsAtStall, "the read was re-opened on a new connection");
    assert.ok(performance.now() - stalledAt >= 1_000, "it waited out the stall");
  });
});

describe("a job whose scan fails", () => {
  const scans: number[] = [];
  const lab = useStorageLab({
    files: [SLOW_FILE],
    env: { DOWNLOAD_DELAY_MIN_MS: "100", DOWNLOAD_DELAY_MAX_MS: "100" },
    onScan: (fileId) => scans.push(fileId),
  });

  it("tells every waiter UNAVAILABLE with a clear message, empties the registry, and a retry starts afresh", async () => {
    const proxy = lab().proxies[0]!;
    // 1 MiB/s: the 2 MiB scan takes ~2 s, time to break storage while it runs.
    proxy.setMode({ kind: "slow", bytesPerSecond: 1024 * 1024 });
    const client = lab().server.client();
    let processing!: () => void;
    const processingSeen = new Promise<void>((resolve) => (processing = resolve));
    const onMessage = (m: { event?: { $case: string; value?: unknown } }) => {
      if (m.event?.$case === "status") processing();
    };
    const waiters = [
      collectDownload(client, downloadRequest(SLOW_FILE.fileId), { onMessage }),
      collectDownload(client, downloadRequest(SLOW_FILE.fileId)),
    ];
    await processingSeen;
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.setMode({ kind: "refuse" });
    const failed = await Promise.all(waiters);
    const jobIds = new Set(failed.flatMap((r) => statuses(r).map((s) => s.jobId)));
    assert.equal(jobIds.size, 1, "both waited on one job");
    for (const result of failed) {
      assert.equal(result.status.code, status.UNAVAILABLE);
      assert.match(result.status.details, /preparing file 31002 failed: storage unavailable/);
      assert.doesNotMatch(result.status.details, /127\.0\.0\.1|ECONN|\//);
      assert.ok(Number(result.status.metadata.get("retry-after-ms")[0]) > 0);
      assert.ok(!result.messages.some((m) => m.message.event?.$case === "chunk"), "no bytes sent");
    }
    assert.equal(lab().server.running.deps.jobs.size, 0, "registry empty again");
    assert.equal(lab().server.running.deps.downloads.size, 0);

    proxy.setMode({ kind: "pass" });
    const again = await collectDownload(client, downloadRequest(SLOW_FILE.fileId));
    assert.equal(again.status.code, status.OK, again.status.details);
    assert.equal(sha256(again.bytes), SLOW_FILE.sha256);
    const first = statuses(again)[0]!;
    assert.equal(first.joinedExistingJob, false, "a fresh job");
    assert.ok(!jobIds.has(first.jobId), "with a new job id");
    assert.notEqual(first.phase, DownloadPhase.DOWNLOAD_PHASE_READY);
    assert.deepEqual(scans, [SLOW_FILE.fileId, SLOW_FILE.fileId], "the failed scan, then one new one");
  });
});
