import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { ApiKeys, keyFingerprint, presentedKey } from "../../../src/server/api-keys";
import { clientIdentity, peerAddress } from "../../../src/server/client-identity";

function md(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

describe("client identity", () => {
  it("strips the port from peers", () => {
    assert.equal(peerAddress("127.0.0.1:5000"), "127.0.0.1");
    assert.equal(peerAddress("ipv4:10.1.2.3:443"), "10.1.2.3");
    assert.equal(peerAddress("[::1]:5000"), "::1");
    assert.equal(peerAddress("ipv6:[2001:db8::1]:80"), "2001:db8::1");
  });

  it("is the key when auth is on, else the peer IP; x-forwarded-for only with TRUST_PROXY", () => {
    const headers = md({ authorization: "Bearer k1", "x-forwarded-for": "1.1.1.1, 2.2.2.2" });
    assert.equal(
      clientIdentity(headers, "9.9.9.9:1", { authEnabled: true, trustProxy: false }),
      keyFingerprint("k1"),
    );
    assert.equal(
      clientIdentity(headers, "9.9.9.9:1", { authEnabled: false, trustProxy: false }),
      "ip:9.9.9.9",
    );
    // The right-most entry is the one the trusted proxy appended; the left ones are client-supplied.
    assert.equal(
      clientIdentity(headers, "9.9.9.9:1", { authEnabled: false, trustProxy: true }),
      "ip:2.2.2.2",
    );
    assert.doesNotMatch(keyFingerprint("k1"), /k1/);
  });

  it("reads a key from Bearer (any case) or x-api-key, and flags two different keys", () => {
    assert.deepEqual(presentedKey(md({ authorization: "BEARER abc" })), { kind: "key", key: "abc" });
    assert.deepEqual(presentedKey(md({ "x-api-key": "abc" })), { kind: "key", key: "abc" });
    assert.deepEqual(presentedKey(md({ authorization: "Basic abc" })), { kind: "none" });
    assert.deepEqual(presentedKey(md({ authorization: "Bearer a", "x-api-key": "b" })), { kind: "conflict" });
    const keys = new ApiKeys(["abc", "def"]);
    assert.equal(keys.accepts(md({ "x-api-key": "def" })), true);
    assert.equal(keys.accepts(md({ "x-api-key": "de" })), false);
    assert.equal(new ApiKeys([]).enabled, false);
  });
});
