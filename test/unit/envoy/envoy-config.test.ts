/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any
   -- the broken variants edit untyped YAML in place, on purpose */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { EnvoySchema } from "../../support/envoy-schema";
import { checkEnvoySemantics, DOWNLOAD_PATH } from "../../support/envoy-semantics";

// Envoy cannot run here: envoy.yaml is checked against Envoy's own v3 protos, then for what they cannot say.
const ENVOY_YAML = path.join(__dirname, "../../../../envoy/envoy.yaml");

type Doc = Record<string, any>;

function load(): Doc {
  return parse(readFileSync(ENVOY_YAML, "utf8")) as Doc;
}

const manager = (doc: Doc): Doc => doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const downloadRoute = (doc: Doc): Doc =>
  manager(doc).route_config.virtual_hosts[0].routes.find((r: Doc) => r.match.path === DOWNLOAD_PATH);

describe("envoy/envoy.yaml", () => {
  let schema: EnvoySchema;
  before(() => {
    schema = new EnvoySchema();
  });

  it("is a valid v3 Bootstrap, every typed_config resolved and verified", () => {
    assert.deepEqual(schema.validateBootstrap(load()), []);
  });

  it("encodes to Bootstrap wire bytes that decode back, typed_configs packed as their own messages", () => {
    const { errors, bytes } = schema.encodeBootstrap(load());
    assert.deepEqual(errors, []);
    const bootstrap = schema.decode("envoy.config.bootstrap.v3.Bootstrap", bytes!) as Doc;
    const any = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const hcmType = schema.resolveTypeUrl(any.type_url)!;
    const hcm = schema.decode(hcmType.fullName.slice(1), any.value) as Doc;
    assert.deepEqual(
      hcm.http_filters.map((f: Doc) => f.typed_config.type_url.split(".").at(-1)),
      ["GrpcWeb", "Cors", "LocalRateLimit", "Router"],
    );
    const download = hcm.route_config.virtual_hosts[0].routes[0];
    assert.equal(download.match.path, DOWNLOAD_PATH);
    assert.deepEqual(download.route.idle_timeout, { seconds: 120, nanos: 0 });
  });

  it("uses the extension types it claims (each @type resolves to a message in Envoy's protos)", () => {
    const urls = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (key === "@type" && typeof value === "string") urls.add(value);
          walk(value);
        }
      }
    };
    walk(load());
    assert.ok(urls.size >= 9, `found ${[...urls].join(", ")}`);
    for (const url of urls) assert.ok(schema.resolveTypeUrl(url), url);
  });

  it("passes the semantic checks: stream timeouts, ALPN, filter order, clusters, rate limit, hash policy", () => {
    assert.deepEqual(checkEnvoySemantics(load()), []);
  });

  // Each broken copy must be caught, by the schema or the semantic checks.
  const broken: Record<string, { break: (doc: Doc) => void; expect: RegExp; by: "schema" | "semantics" }> = {
    "an unknown field": {
      break: (doc) => (downloadRoute(doc).route.stream_timeout = "0s"),
      expect: /route\.stream_timeout: unknown field in \.envoy\.config\.route\.v3\.RouteAction/,
      by: "schema",
    },
    "an unknown field inside a typed_config": {
      break: (doc) => (manager(doc).http_filters[2].typed_config.rate_limited_as_resource_exhaused = true),
      expect: /<LocalRateLimit>\.rate_limited_as_resource_exhaused: unknown field/,
      by: "schema",
    },
    "a wrong @type": {
      break: (doc) =>
        (manager(doc).http_filters[3].typed_config["@type"] =
          "type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr"),
      expect:
        /@type type\.googleapis\.com\/envoy\.extensions\.filters\.http\.router\.v3\.Routr does not name/,
      by: "schema",
    },
    "an @type of the wrong shape for its fields": {
      break: (doc) =>
        (manager(doc).http_filters[2].typed_config["@type"] =
          "type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb"),
      expect: /<GrpcWeb>\.stat_prefix: unknown field/,
      by: "schema",
    },
    "a bad enum value": {
      break: (doc) => (doc.static_resources.clusters[0].lb_policy = "RING_HAS"),
      expect: /lb_policy: "RING_HAS" is not a value/,
      by: "schema",
    },
    "a duration without a unit": {
      break: (doc) => (downloadRoute(doc).route.idle_timeout = 120),
      expect: /idle_timeout: 120 is not a duration/,
      by: "schema",
    },
    "a deprecated field": {
      break: (doc) => (downloadRoute(doc).route.max_grpc_timeout = "0s"),
      expect: /max_grpc_timeout: deprecated field/,
      by: "schema",
    },
    "a missing required field": {
      break: (doc) => delete manager(doc).stat_prefix,
      expect: /<HttpConnectionManager>\.stat_prefix: must have at least 1 character/,
      by: "schema",
    },
    "a number outside its validated range": {
      break: (doc) => (manager(doc).http_filters[2].typed_config.token_bucket.max_tokens = 0),
      expect: /token_bucket\.max_tokens: 0 must be gt 0/,
      by: "schema",
    },
    "a duration outside its validated range": {
      break: (doc) => {
        const cluster = doc.static_resources.clusters[0];
        const options =
          cluster.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
        options.explicit_http_config.http2_protocol_options.connection_keepalive.interval = "0.0001s";
      },
      expect: /connection_keepalive\.interval: 0\.0001 must be gte 0\.001/,
      by: "schema",
    },
    "the filter order swapped (cors before grpc_web)": {
      break: (doc) => {
        const filters = manager(doc).http_filters as Doc[];
        [filters[0], filters[1]] = [filters[1]!, filters[0]!];
      },
      expect: /http filters must be grpc_web → cors → local_ratelimit → router/,
      by: "semantics",
    },
    "the router not last": {
      break: (doc) => {
        const filters = manager(doc).http_filters as Doc[];
        filters.unshift(filters.pop()!);
      },
      expect: /http filters must be/,
      by: "semantics",
    },
    "the streaming route timeout at 15s": {
      break: (doc) => (downloadRoute(doc).route.timeout = "15s"),
      expect: /must have timeout 0s .* got 15s/,
      by: "semantics",
    },
    "the catch-all route ahead of the streaming one": {
      break: (doc) => manager(doc).route_config.virtual_hosts[0].routes.reverse(),
      expect: /must have timeout 0s .* got 30s/,
      by: "semantics",
    },
    "a short idle timeout": {
      break: (doc) => (downloadRoute(doc).route.idle_timeout = "15s"),
      expect: /needs idle_timeout ≥ 60s/,
      by: "semantics",
    },
    "no max_stream_duration cap": {
      break: (doc) => delete downloadRoute(doc).route.max_stream_duration,
      expect: /needs a max_stream_duration cap/,
      by: "semantics",
    },
    "a route to a missing cluster": {
      break: (doc) => (downloadRoute(doc).route.cluster = "delineate_apii"),
      expect: /cluster delineate_apii is not defined/,
      by: "semantics",
    },
    "the cluster removed": {
      break: (doc) => (doc.static_resources.clusters = []),
      expect: /cluster delineate_api is not defined/,
      by: "semantics",
    },
    "ALPN without h2": {
      break: (doc) => {
        const tls = doc.static_resources.listeners[0].filter_chains[0].transport_socket.typed_config;
        tls.common_tls_context.alpn_protocols = ["http/1.1"];
      },
      expect: /ALPN must be h2 first/,
      by: "semantics",
    },
    "rate limits answering UNAVAILABLE": {
      break: (doc) => (manager(doc).http_filters[2].typed_config.rate_limited_as_resource_exhausted = false),
      expect: /must answer RESOURCE_EXHAUSTED/,
      by: "semantics",
    },
    "rate limits left at the 0% default": {
      break: (doc) => delete manager(doc).http_filters[2].typed_config.filter_enforced,
      expect: /enabled and enforced for 100%/,
      by: "semantics",
    },
    "no hash policy on x-file-id": {
      break: (doc) => (downloadRoute(doc).route.hash_policy = [{ header: { header_name: "x-user" } }]),
      expect: /no hash_policy on x-file-id/,
      by: "semantics",
    },
    "round-robin instead of ring hash": {
      break: (doc) => {
        doc.static_resources.clusters[0].lb_policy = "ROUND_ROBIN";
        delete doc.static_resources.clusters[0].ring_hash_lb_config;
      },
      expect: /lb_policy must be RING_HASH/,
      by: "semantics",
    },
    "two health checkers in one health check (a oneof)": {
      break: (doc) => (doc.static_resources.clusters[0].health_checks[0].tcp_health_check = {}),
      expect: /tcp_health_check and grpc_health_check are one of health_checker/,
      by: "schema",
    },
    "a TCP health check instead of gRPC health": {
      break: (doc) => {
        const check = doc.static_resources.clusters[0].health_checks[0];
        delete check.grpc_health_check;
        check.tcp_health_check = {};
      },
      expect: /needs a gRPC health check/,
      by: "semantics",
    },
    "the upstream on HTTP/1.1": {
      break: (doc) => {
        const options =
          doc.static_resources.clusters[0].typed_extension_protocol_options[
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
          ];
        options.explicit_http_config = { http_protocol_options: {} };
      },
      expect: /upstream must speak HTTP\/2/,
      by: "semantics",
    },
    "the admin on all interfaces": {
      break: (doc) => (doc.admin.address.socket_address.address = "0.0.0.0"),
      expect: /admin listens on 0\.0\.0\.0/,
      by: "semantics",
    },
    "CORS hiding grpc-status": {
      break: (doc) => {
        const cors =
          manager(doc).route_config.virtual_hosts[0].typed_per_filter_config["envoy.filters.http.cors"];
        cors.expose_headers = "grpc-message";
      },
      expect: /must expose grpc-status and grpc-message/,
      by: "semantics",
    },
  };

  for (const [name, variant] of Object.entries(broken)) {
    it(`fails on a copy with ${name}`, () => {
      const doc = load();
      variant.break(doc);
      const errors = variant.by === "schema" ? schema.validateBootstrap(doc) : checkEnvoySemantics(doc);
      assert.ok(
        errors.some((e) => variant.expect.test(e)),
        `expected an error matching ${String(variant.expect)}, got:\n${errors.join("\n")}`,
      );
      // The intact file passes both, so the failure is the variant's doing.
      assert.deepEqual([...schema.validateBootstrap(load()), ...checkEnvoySemantics(load())], []);
    });
  }
});
