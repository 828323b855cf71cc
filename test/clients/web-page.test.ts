import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DownloadRequest } from "../../src/gen/delineate/v1/download_service";
import { makeFile, sha256 } from "../support/files";
import { startGrpcWebProxy, type GrpcWebProxy } from "../support/grpc-web-proxy";
import { launchChromium, type HeadlessChromium } from "../support/headless-chromium";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

/** This file runs from dist/test/clients. */
const ROOT = path.resolve(__dirname, "..", "..", "..");
const PAGE_DIR = path.join(ROOT, "clients", "web", "dist");
// Each run keeps its screenshot under .artifacts/ (ignored); UPDATE_SCREENSHOTS=1 refreshes the README's copy.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? path.join(ROOT, "docs", "screenshots", "web.png")
    : path.join(ROOT, ".artifacts", "web.png");

const FILE = makeFile(40_001, 3 * 1024 * 1024 + 99);

describe("browser page over gRPC-Web (headless Chromium)", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  let proxy: GrpcWebProxy;
  let browser: HeadlessChromium;
  before(async () => {
    // `npm test` builds the page (npm run build:web); build again so a run on its own never tests a stale page.
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-web.mjs")], { stdio: "ignore" });
    assert.ok(existsSync(path.join(PAGE_DIR, "page.js")));
    server = await startTestServer({
      files: [FILE],
      // Long enough for the page to show processing with a few heartbeats.
      env: { DOWNLOAD_DELAY_MIN_MS: "1500", DOWNLOAD_DELAY_MAX_MS: "1500", HEARTBEAT_INTERVAL_MS: "100" },
    });
    // Envoy cannot run here: a gRPC-Web translator in its place, which also breaks off the first
    // Download response after 1 MiB so the page must resume at the new offset.
    proxy = await startGrpcWebProxy({
      target: server.address,
      staticDir: PAGE_DIR,
      breakDownloads: { count: 1, afterBytes: 1024 * 1024 },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await proxy.close();
    await server.close();
    await resources.assertClean();
  });

  it("shows the wait, resumes a broken transfer, verifies and saves the file", async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(proxy.url);
      await page.fill("#file-id", String(FILE.fileId));
      await page.click("#download");
      await page.locator("#phase", { hasText: "processing" }).waitFor({ timeout: 20_000 });
      await page.locator("#save").waitFor({ state: "visible", timeout: 60_000 });

      const phases = await page.locator("#phases li").allTextContents();
      // queued may be skipped when a slot is free; processing, the resume and the end may not.
      for (const phase of ["processing", "ready", "transferring", "reconnecting", "verifying", "verified"])
        assert.ok(phases.includes(phase), `phase ${phase} not shown: ${phases.join(" → ")}`);
      assert.ok(phases.indexOf("processing") < phases.indexOf("transferring"));
      assert.equal(phases.at(-1), "verified");
      assert.match((await page.textContent("#result")) ?? "", new RegExp(`sha256 ${FILE.sha256}`));
      assert.equal(proxy.broken, 1);
      // The resume asked for the bytes after those held, guarded by the sha256: never the same request.
      const requests = proxy.calls
        .filter((c) => c.method.endsWith("/Download"))
        .map((c) => DownloadRequest.decode(c.body.subarray(5)));
      assert.ok(requests.length >= 2);
      assert.deepEqual([requests[0]!.readOffset, requests[0]!.ifSha256], [0, ""]);
      assert.ok(requests[1]!.readOffset > 0, `resumed at ${requests[1]!.readOffset}`);
      assert.equal(requests[1]!.ifSha256, FILE.sha256);

      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
      assert.equal(download.suggestedFilename(), `${FILE.fileId}.zip`);
      const saved = await readFile(await download.path());
      assert.equal(saved.length, FILE.bytes.length);
      assert.equal(sha256(saved), FILE.sha256);
    } finally {
      await page.close();
    }
  });

  it("says so when the file does not exist, and offers nothing to save", async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(proxy.url);
      await page.fill("#file-id", "40999");
      await page.click("#download");
      await page.locator("#phase", { hasText: "failed" }).waitFor({ timeout: 20_000 });
      assert.match((await page.textContent("#result")) ?? "", /not found/);
      assert.equal(await page.locator("#save").isVisible(), false);
    } finally {
      await page.close();
    }
  });
});
