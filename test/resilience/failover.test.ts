import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { collectDownload, downloadRequest } from "../support/collect";
import { makeFile, sha256 } from "../support/files";
import { useStorageLab } from "../support/storage-lab";

const FILES = [makeFile(32_001, 512 * 1024), makeFile(32_002, 300 * 1024), makeFile(32_003, 200 * 1024)];

describe("failover across two s3rver instances holding the same objects", () => {
  const lab = useStorageLab({ files: FILES, endpoints: 2, env: { DOWNLOAD_DELAY_ENABLED: "false" } });

  async function download(index: number) {
    const file = FILES[index]!;
    const result = await collectDownload(lab().server.client(), downloadRequest(file.fileId));
    assert.equal(result.status.code, status.OK, result.status.details);
    assert.equal(sha256(result.bytes), file.sha256);
  }

  it("uses only the primary while it is healthy", async () => {
    const [primary, secondary] = lab().proxies;
    await download(0);
    assert.ok(primary!.connections > 0);
    assert.equal(secondary!.connections, 0, "the secondary was not touched");
  });

  it("moves to the secondary when the primary refuses, without the caller noticing", async () => {
    const [primary, secondary] = lab().proxies;
    primary!.setMode({ kind: "refuse" });
    await download(1);
    assert.ok(secondary!.responseBytes >= FILES[1]!.bytes.length, "served by the secondary");
    const refused = primary!.connections;
    await download(2);
    // The primary is skipped (marked down); only the background probe touches it.
    assert.ok(primary!.connections - refused <= 3, "calls no longer go to the primary first");
  });

  it("moves back to the primary once a probe finds it healthy", async () => {
    const [primary, secondary] = lab().proxies;
    primary!.setMode({ kind: "pass" });
    await sleep(500); // two probe periods (200 ms)
    const before = { primary: primary!.responseBytes, secondary: secondary!.responseBytes };
    await download(0);
    assert.equal(secondary!.responseBytes, before.secondary, "the secondary is no longer used");
    assert.ok(primary!.responseBytes - before.primary >= FILES[0]!.bytes.length, "served by the primary");
  });

  it("fails over from a primary that accepts and hangs, after the per-call timeout", async () => {
    const [primary, secondary] = lab().proxies;
    primary!.setMode({ kind: "hang" });
    const before = secondary!.responseBytes;
    const started = performance.now();
    await download(1);
    assert.ok(secondary!.responseBytes - before >= FILES[1]!.bytes.length, "served by the secondary");
    assert.ok(performance.now() - started < 10_000);
    primary!.setMode({ kind: "pass" });
    await sleep(500);
  });
});
