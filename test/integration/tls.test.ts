import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { credentials, status, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { type CheckFileResponse, DownloadServiceClient } from "../../src/gen/delineate/v1/download_service";
import { makeDevCerts, type DevCerts } from "../support/dev-certs";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, withKey, type TestServer } from "../support/test-server";

const FILE = makeFile(10_020, 10_000);
const KEY = "tls-test-key";
/** The server certificate names localhost (and 127.0.0.1, but SNI may not carry an IP). */
const CHANNEL_OPTIONS = { "grpc.ssl_target_name_override": "localhost" };

type Answer = { error: ServiceError | null; response?: CheckFileResponse };

/** One CheckFile on a channel of its own, closed afterwards; a deadline so a refused handshake cannot hang. */
async function checkFileOver(address: string, channel: ChannelCredentials): Promise<Answer> {
  const client = new DownloadServiceClient(address, channel, CHANNEL_OPTIONS);
  try {
    return await new Promise<Answer>((resolve) =>
      client.checkFile(
        { fileId: FILE.fileId },
        withKey(KEY),
        { deadline: Date.now() + 10_000 },
        (error, response) => resolve({ error, response }),
      ),
    );
  } finally {
    client.close();
  }
}

function assertRefused(answer: Answer, why: string): void {
  assert.ok(answer.error, `${why}: the call must fail`);
  assert.equal(answer.error.code, status.UNAVAILABLE, `${why}: ${answer.error.message}`);
  assert.equal(answer.response, undefined);
}

describe("TLS and mTLS on the gRPC port (certificates made by scripts/dev-certs.sh)", () => {
  const resources = trackSuiteResources();
  let certs: DevCerts;
  /** A second, unrelated CA with its own client certificate. */
  let otherCerts: DevCerts;
  let tlsServer: TestServer;
  let mtlsServer: TestServer;
  /** Trusts our CA and presents the client certificate `from` made. */
  const withClientCertificate = async (from: DevCerts) =>
    credentials.createSsl(
      await certs.read("ca.crt"),
      await from.read("client.key"),
      await from.read("client.crt"),
    );

  before(async () => {
    [certs, otherCerts] = await Promise.all([makeDevCerts(), makeDevCerts()]);
    const tlsEnv = {
      API_KEYS: KEY,
      TLS_CERT_FILE: certs.file("server.crt"),
      TLS_KEY_FILE: certs.file("server.key"),
    };
    tlsServer = await startTestServer({ files: [FILE], env: tlsEnv });
    mtlsServer = await startTestServer({
      files: [FILE],
      env: { ...tlsEnv, TLS_CLIENT_CA_FILE: certs.file("ca.crt") },
    });
  });
  after(async () => {
    await tlsServer.close();
    await mtlsServer.close();
    await certs.remove();
    await otherCerts.remove();
    await resources.assertClean();
  });

  it("TLS: a client trusting the CA completes the handshake and the call", async () => {
    assert.deepEqual(tlsServer.config.tls?.clientCaFile, undefined);
    const answer = await checkFileOver(tlsServer.address, credentials.createSsl(await certs.read("ca.crt")));
    assert.equal(answer.error, null);
    assert.equal(answer.response?.available, true);
  });

  it("TLS: refused in plaintext, and by a client that does not trust the server's CA", async () => {
    assertRefused(await checkFileOver(tlsServer.address, credentials.createInsecure()), "plaintext");
    assertRefused(
      await checkFileOver(tlsServer.address, credentials.createSsl(await otherCerts.read("ca.crt"))),
      "untrusted server certificate",
    );
  });

  it("mTLS: a client certificate from the configured CA is accepted", async () => {
    const answer = await checkFileOver(mtlsServer.address, await withClientCertificate(certs));
    assert.equal(answer.error, null);
    assert.equal(answer.response?.available, true);
  });

  it("mTLS: refused without a client certificate", async () => {
    assertRefused(
      await checkFileOver(mtlsServer.address, credentials.createSsl(await certs.read("ca.crt"))),
      "no client certificate",
    );
  });

  it("mTLS: refused with a client certificate from another CA", async () => {
    assertRefused(
      await checkFileOver(mtlsServer.address, await withClientCertificate(otherCerts)),
      "client certificate from another CA",
    );
  });

  it("mTLS still requires the API key: a good certificate without a key is UNAUTHENTICATED", async () => {
    const client = new DownloadServiceClient(
      mtlsServer.address,
      await withClientCertificate(certs),
      CHANNEL_OPTIONS,
    );
    try {
      const error = await new Promise<ServiceError | null>((resolve) =>
        client.checkFile({ fileId: FILE.fileId }, (e) => resolve(e)),
      );
      assert.equal(error?.code, status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });
});
