import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../../src/config/config";
import { ConfigError } from "../../../src/config/config-error";
import { makeDevCerts, type DevCerts } from "../../support/dev-certs";

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

function assertProblem(env: Record<string, string>, pattern: RegExp): void {
  const found = problems(env);
  assert.ok(
    found.some((p) => pattern.test(p)),
    `expected ${String(pattern)}, got ${JSON.stringify(found)}`,
  );
}

describe("API_KEYS_FILE and TLS configuration", () => {
  let dir: string;
  let certs: DevCerts;
  const file = (name: string) => path.join(dir, name);
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "delineate-config-"));
    certs = await makeDevCerts();
    await writeFile(
      file("keys"),
      "# ops keys\n\n  key-from-file-1  \n# retired: old-key\nkey-from-file-2\r\nshared-key\n",
    );
    await writeFile(file("comments-only"), "# nothing here\n\n");
    await writeFile(file("spaced"), "good-key\nhas a space\n");
    await writeFile(file("not-pem"), "hello\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await certs.remove();
  });

  it("merges API_KEYS_FILE (comments and blank lines ignored) with API_KEYS, once each", () => {
    const config = loadConfig({ API_KEYS: "env-key,shared-key", API_KEYS_FILE: file("keys") });
    assert.deepEqual(config.apiKeys, ["env-key", "shared-key", "key-from-file-1", "key-from-file-2"]);
    assert.deepEqual(loadConfig({ API_KEYS_FILE: file("keys") }).apiKeys.length, 3);
  });

  it("rejects a keys file that is missing, holds no key, or has a key with whitespace (without echoing it)", () => {
    assertProblem({ API_KEYS_FILE: file("absent") }, /^API_KEYS_FILE must name a readable file, .*ENOENT/);
    assertProblem({ API_KEYS_FILE: file("comments-only") }, /^API_KEYS_FILE ".*" holds no key/);
    const found = problems({ API_KEYS_FILE: file("spaced") });
    assert.deepEqual(found, ["API_KEYS_FILE line 2: a key must not contain whitespace"]);
  });

  it("leaves TLS off by default and takes cert + key (+ client CA for mTLS)", () => {
    assert.equal(loadConfig({}).tls, undefined);
    const tls = { TLS_CERT_FILE: certs.file("server.crt"), TLS_KEY_FILE: certs.file("server.key") };
    assert.deepEqual(loadConfig(tls).tls, {
      certFile: certs.file("server.crt"),
      keyFile: certs.file("server.key"),
      clientCaFile: undefined,
    });
    assert.equal(
      loadConfig({ ...tls, TLS_CLIENT_CA_FILE: certs.file("ca.crt") }).tls?.clientCaFile,
      certs.file("ca.crt"),
    );
  });

  it("names the variable for every TLS mistake", () => {
    assertProblem(
      { TLS_CERT_FILE: certs.file("server.crt") },
      /^TLS_KEY_FILE is required with the other TLS file/,
    );
    assertProblem(
      { TLS_KEY_FILE: certs.file("server.key") },
      /^TLS_CERT_FILE is required with the other TLS file/,
    );
    assertProblem(
      { TLS_CLIENT_CA_FILE: certs.file("ca.crt") },
      /^TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE/,
    );
    assertProblem(
      { TLS_CERT_FILE: file("absent.crt"), TLS_KEY_FILE: certs.file("server.key") },
      /^TLS_CERT_FILE must name a readable file/,
    );
    assertProblem(
      { TLS_CERT_FILE: certs.file("server.crt"), TLS_KEY_FILE: certs.file("client.key") },
      /^TLS_KEY_FILE does not match the certificate/,
    );
    assertProblem(
      { TLS_CERT_FILE: file("not-pem"), TLS_KEY_FILE: certs.file("server.key") },
      /^TLS_CERT_FILE ".*" is not a PEM certificate/,
    );
    assertProblem(
      { TLS_CERT_FILE: certs.file("server.crt"), TLS_KEY_FILE: file("not-pem") },
      /^TLS_KEY_FILE ".*" is not a PEM private key/,
    );
    assertProblem(
      {
        TLS_CERT_FILE: certs.file("server.crt"),
        TLS_KEY_FILE: certs.file("server.key"),
        TLS_CLIENT_CA_FILE: file("not-pem"),
      },
      /^TLS_CLIENT_CA_FILE ".*" is not a PEM certificate/,
    );
  });
});
