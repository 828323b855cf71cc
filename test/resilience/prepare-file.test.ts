import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Job } from "../../src/jobs/job";
import { createPrepareFile } from "../../src/jobs/prepare-file";
import { FsObjectStore } from "../../src/storage/fs-object-store";
import { assertNoLeaks } from "../support/no-leaks";

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("prepare-file when the scan fails", () => {
  assertNoLeaks();

  it("stops the simulated delay with it: no timer outlives the failed job", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "delineate-prepare-"));
    try {
      // A real fs store without the object: the scan's read fails at once.
      const prepare = createPrepareFile({
        store: new FsObjectStore(dataDir),
        delay: { enabled: true, minMs: 60_000, maxMs: 60_000 },
        resumeAttempts: 0,
      });
      const job = new Job(33_001, { size: 1000, etag: "x", lastModified: new Date() }, () => ({
        etaMs: 0,
        ahead: 0,
      }));
      const before = timeouts();
      await assert.rejects(prepare(job, new AbortController().signal));
      assert.equal(timeouts(), before, "the 60 s delay timer was cleared");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
