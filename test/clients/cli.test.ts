import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { runCliProcess } from "../support/run-cli";
import { startTestServer, type TestServer } from "../support/test-server";

const FILE = makeFile(30_001, 2 * 1024 * 1024 + 5);
const OTHER = makeFile(30_002, 700 * 1024);
const MISSING = 30_999;

describe("delineate CLI (plain lines)", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ files: [FILE, OTHER] });
    dir = await mkdtemp(path.join(tmpdir(), "delineate-cli-"));
    env = { DELINEATE_SERVER: server.address };
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    await resources.assertClean();
  });

  it("downloads with one line per step and exits 0", async () => {
    const out = path.join(dir, "one");
    const run = await runCliProcess(["download", String(FILE.fileId), "-o", out], env);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    const id = String(FILE.fileId);
    for (const line of lines) assert.ok(line.startsWith(`${id} `), line);
    // Waiting first (the server's 300 ms processing), then ready, the size, the bytes and the verdict.
    assert.match(lines[0]!, /^30001 (queued|processing) \d+% eta (\d+s|\?)$/);
    const ready = lines.indexOf(`${id} ready`);
    assert.ok(ready > 0, run.stdout);
    assert.equal(lines[ready + 1], `${id} size 2.0 MiB from offset 0`);
    assert.match(lines.at(-2)!, /^30001 transfer 2\.0 MiB\/2\.0 MiB 100% [\d.]+ (B|KiB|MiB|GiB)\/s eta 0s$/);
    assert.equal(lines.at(-1), `${id} done 2.0 MiB sha256 ${FILE.sha256} verified -> ${out}/${id}.zip`);
    assert.ok((await readFile(path.join(out, `${id}.zip`))).equals(FILE.bytes));
    assert.equal(existsSync(path.join(out, `${id}.zip.part`)), false);
  });

  it("resumes from the .part file a previous run left", async () => {
    const out = path.join(dir, "resume");
    const id = String(OTHER.fileId);
    const held = 100 * 1024;
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, `${id}.zip.part`), OTHER.bytes.subarray(0, held));
    await writeFile(
      path.join(out, `${id}.zip.part.json`),
      JSON.stringify({ fileId: OTHER.fileId, sizeBytes: OTHER.bytes.length, sha256: OTHER.sha256 }),
    );
    const run = await runCliProcess(["download", id, "-o", out], env);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines[0], `${id} resume from ${held} bytes held in the .part file`);
    assert.ok(lines.includes(`${id} size 700.0 KiB from offset ${held}`), run.stdout);
    assert.ok((await readFile(path.join(out, `${id}.zip`))).equals(OTHER.bytes));
  });

  it("exits 1 when a download fails, and still finishes the others", async () => {
    const out = path.join(dir, "mixed");
    const run = await runCliProcess(["download", String(MISSING), String(FILE.fileId), "-o", out], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^30999 failed: NOT_FOUND: .*not found \(after 1 attempt\)$/m);
    assert.doesNotMatch(run.stderr, /\bat \S+:\d+|\/src\//, "stack trace or path leaked");
    assert.ok(existsSync(path.join(out, `${FILE.fileId}.zip`)));
    assert.equal(existsSync(path.join(out, `${MISSING}.zip`)), false);
    assert.equal(existsSync(path.join(out, `${MISSING}.zip.part`)), false);
  });

  it("exits 2 on usage errors", async () => {
    for (const args of [
      ["download", "abc"],
      ["download"],
      ["fetch", "1"],
      ["download", "30001", "-c", "0"],
      [],
    ]) {
      const run = await runCliProcess(args, env);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    }
    const bad = await runCliProcess(["download", "abc"], env);
    assert.match(bad.stderr, /"abc" is not a file id/);
  });

  it("checks and prepares files with one line each", async () => {
    const id = FILE.fileId;
    const check = await runCliProcess(["check", String(id), String(MISSING)], env);
    assert.equal(check.code, 1, "a missing file makes check exit 1");
    assert.deepEqual(check.stdout.trim().split("\n"), [
      `${id} available ${FILE.bytes.length} bytes prepared=yes sha256 ${FILE.sha256}`,
      `${MISSING} not found`,
    ]);
    const prepare = await runCliProcess(["prepare", String(id)], env);
    assert.equal(prepare.code, 0, prepare.stderr);
    assert.equal(prepare.stdout, `${id} ready\n`);
  });
});
