import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeDevCerts, type DevCerts } from "../support/dev-certs";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

// The Docker HEALTHCHECK: the compiled probe run as its own process, as the image runs it.
const PROBE = path.join(__dirname, "../../src/health-probe.js");

function runProbe(env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PROBE, ...args],
      { env: { PATH: process.env.PATH, ...env } },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout }),
    );
  });
}

describe("health probe (docker HEALTHCHECK)", () => {
  const resources = trackSuiteResources();
  let certs: DevCerts;
  let plain: TestServer;
  let tls: TestServer;
  const env = (server: TestServer, extra: Record<string, string> = {}) => ({
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: String(server.running.port),
    ...extra,
  });
  before(async () => {
    certs = await makeDevCerts();
    plain = await startTestServer({ env: { API_KEYS: "probe-test-key" } });
    tls = await startTestServer({
      env: { TLS_CERT_FILE: certs.file("server.crt"), TLS_KEY_FILE: certs.file("server.key") },
    });
  });
  after(async () => {
    await plain.close(); // again if the last test closed it: close() is idempotent
    await tls.close();
    await certs.remove();
    await resources.assertClean();
  });

  it("exits 0 for a serving server (whole server and the service by name), without an API key", async () => {
    assert.deepEqual(await runProbe(env(plain)), { code: 0, out: "health: SERVING\n" });
    assert.equal((await runProbe(env(plain), ["delineate.v1.DownloadService"])).code, 0);
  });

  it("exits 1 for an unknown service name", async () => {
    const result = await runProbe(env(plain), ["no.such.Service"]);
    assert.equal(result.code, 1);
    assert.match(result.out, /NOT_FOUND|Health status unknown/i);
  });

  it("speaks TLS when the server does", async () => {
    const tlsEnv = env(tls, {
      TLS_CERT_FILE: certs.file("server.crt"),
      TLS_KEY_FILE: certs.file("server.key"),
    });
    assert.deepEqual(await runProbe(tlsEnv), { code: 0, out: "health: SERVING\n" });
  });

  it("exits 1 once the server has stopped", async () => {
    const stopped = env(plain);
    await plain.close();
    const result = await runProbe(stopped);
    assert.equal(result.code, 1);
    assert.match(result.out, /^health: /);
  });
});
