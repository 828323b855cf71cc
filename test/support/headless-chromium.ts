import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium (scripts/setup-system.sh installs it). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Real headless Chromium with a fresh profile, no network chatter of its own. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), "delineate-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 900, height: 620 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
