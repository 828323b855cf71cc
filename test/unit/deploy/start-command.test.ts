import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { SERVER_NODE_FLAGS } from "../../../src/server/node-flags";

// One command line everywhere the service starts: node, its flags, the tracing preload, main.
const ROOT = path.join(__dirname, "../../../..");
const EXPECTED = [
  "node",
  ...SERVER_NODE_FLAGS,
  "-r",
  "./dist/src/observability/tracing.js",
  "dist/src/main.js",
];

describe("the service's start command", () => {
  it("npm start runs node with SERVER_NODE_FLAGS and the tracing preload", () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const command = scripts.start?.split(" && ").at(-1)?.split(" ");
    assert.deepEqual(command, EXPECTED);
  });

  it("the image's CMD is the same command", () => {
    const dockerfile = readFileSync(path.join(ROOT, "docker/Dockerfile"), "utf8");
    const cmd = dockerfile
      .split("\n")
      .filter((line) => line.startsWith("CMD "))
      .at(-1);
    assert.ok(cmd, "the Dockerfile has a CMD");
    assert.deepEqual(JSON.parse(cmd.slice("CMD ".length)), EXPECTED);
  });
});
