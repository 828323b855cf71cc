import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { STORAGE_HEALTH_SERVICE } from "../../src/resilience/storage-health";

const ROOT = path.join(__dirname, "../../..");

interface Cluster {
  health_checks?: Array<{ grpc_health_check?: { service_name?: string } }>;
  outlier_detection?: Record<string, unknown>;
}

/**
 * A storage outage hits every pod alike (one shared storage), so the edge must not take pods out
 * for it: see README "Failure behaviour". This pins the two settings that decide that.
 */
describe("edge policy for a storage outage (envoy/envoy.yaml)", () => {
  const config = parse(readFileSync(path.join(ROOT, "envoy/envoy.yaml"), "utf8")) as {
    static_resources: { clusters: Cluster[] };
  };
  const clusters = config.static_resources.clusters.filter((c) => c.health_checks || c.outlier_detection);

  it("health-checks a name that stays SERVING during a storage outage", () => {
    assert.ok(clusters.length > 0);
    for (const cluster of clusters) {
      for (const check of cluster.health_checks ?? []) {
        assert.notEqual(check.grpc_health_check?.service_name, STORAGE_HEALTH_SERVICE);
      }
    }
  });

  it("ejects on local-origin failures only, not on UNAVAILABLE (503) answers", () => {
    for (const cluster of clusters) {
      const outlier = cluster.outlier_detection;
      if (!outlier) continue;
      assert.equal(outlier.split_external_local_origin_errors, true);
      assert.equal(outlier.enforcing_consecutive_5xx, 0, "consecutive 5xx would eject every pod at once");
      assert.ok(!outlier.enforcing_consecutive_gateway_failure, "gateway failures (503) must not eject");
    }
  });
});
