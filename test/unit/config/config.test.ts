import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../../src/config/config";
import { ConfigError } from "../../../src/config/config-error";

describe("loadConfig", () => {
  it("fills the documented defaults", () => {
    const c = loadConfig({});
    assert.equal(c.grpcHost, "0.0.0.0");
    assert.equal(c.grpcPort, 50051);
    assert.equal(c.metricsPort, 9464);
    assert.deepEqual(c.storage, { driver: "fs", dataDir: "./data" });
    assert.deepEqual(c.delay, { enabled: true, minMs: 10_000, maxMs: 120_000 });
    assert.equal(c.heartbeatIntervalMs, 5_000);
    assert.equal(c.chunkSizeBytes, 262_144);
    assert.equal(c.maxConcurrentJobs, 64);
    assert.equal(c.maxStreamsPerClient, 32);
    assert.deepEqual(c.apiKeys, []);
    assert.equal(c.shutdownGraceMs, 30_000);
    assert.deepEqual(c.storagePolicy.retryDelaysMs, [100, 200, 400]);
    assert.equal(c.storagePolicy.breakerThreshold, 5);
    assert.equal(c.storagePolicy.breakerHalfOpenAfterMs, 30_000);
    assert.equal(c.trustProxy, false);
  });

  it('parses booleans properly: "false" is false', () => {
    for (const value of ["false", "FALSE", "0", "no", "off"]) {
      assert.equal(loadConfig({ DOWNLOAD_DELAY_ENABLED: value }).delay.enabled, false, value);
    }
    for (const value of ["true", "1", "yes", "On"]) {
      assert.equal(loadConfig({ DOWNLOAD_DELAY_ENABLED: value }).delay.enabled, true, value);
    }
  });

  it("reports every bad value, each naming its variable", () => {
    try {
      loadConfig({
        GRPC_PORT: "70000",
        HEARTBEAT_INTERVAL_MS: "1.5",
        TRUST_PROXY: "sometimes",
        LOG_LEVEL: "loud",
      });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      assert.match(error.message, /GRPC_PORT must be within 0\.\.65535, got 70000/);
      assert.match(error.message, /HEARTBEAT_INTERVAL_MS must be a whole number, got "1\.5"/);
      assert.match(error.message, /TRUST_PROXY must be true or false/);
      assert.match(error.message, /LOG_LEVEL must be one of/);
    }
  });

  it("reads the s3 driver, endpoints as a list, keys as a list", () => {
    const c = loadConfig({
      STORAGE_DRIVER: "s3",
      S3_ENDPOINT: "http://minio-a:9000, https://minio-b:9000",
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
      S3_FORCE_PATH_STYLE: "false",
      API_KEYS: " a, b ,,",
    });
    assert.equal(c.storage.driver, "s3");
    if (c.storage.driver === "s3") {
      assert.deepEqual(c.storage.endpoints.map(String), ["http://minio-a:9000/", "https://minio-b:9000/"]);
      assert.equal(c.storage.bucket, "downloads");
      assert.equal(c.storage.forcePathStyle, false);
    }
    assert.deepEqual(c.apiKeys, ["a", "b"]);
    assert.throws(
      () =>
        loadConfig({
          STORAGE_DRIVER: "s3",
          S3_ENDPOINT: "ftp://x",
          S3_ACCESS_KEY_ID: "a",
          S3_SECRET_ACCESS_KEY: "b",
        }),
      /S3_ENDPOINT must be http/,
    );
  });

  it("rejects a delay minimum above the maximum and chunk sizes outside 16 KiB..1 MiB", () => {
    assert.throws(
      () => loadConfig({ DOWNLOAD_DELAY_MIN_MS: "10", DOWNLOAD_DELAY_MAX_MS: "5" }),
      /DOWNLOAD_DELAY_MIN_MS must not exceed/,
    );
    assert.throws(() => loadConfig({ CHUNK_SIZE_BYTES: String(2 * 1024 * 1024) }), /CHUNK_SIZE_BYTES/);
    assert.throws(() => loadConfig({ STORAGE_RETRY_DELAYS_MS: "100,x" }), /STORAGE_RETRY_DELAYS_MS/);
  });
});
