/**
 * What Envoy's schema cannot say about our edge (DESIGN.md §5): that streams survive every timeout,
 * browsers get h2, the filters run in the right order, routes point at real clusters, rate limits
 * answer RESOURCE_EXHAUSTED, and one file id always hashes to one replica.
 */

// The YAML is loosely typed by nature; these checks walk it defensively.
type Node = Record<string, unknown>;

export const DOWNLOAD_PATH = "/delineate.v1.DownloadService/Download";
export const FILE_ID_HEADER = "x-file-id";
const T = "type.googleapis.com/envoy.extensions.";
export const FILTER_ORDER = [
  ["envoy.filters.http.grpc_web", `${T}filters.http.grpc_web.v3.GrpcWeb`],
  ["envoy.filters.http.cors", `${T}filters.http.cors.v3.Cors`],
  ["envoy.filters.http.local_ratelimit", `${T}filters.http.local_ratelimit.v3.LocalRateLimit`],
  ["envoy.filters.http.router", `${T}filters.http.router.v3.Router`],
] as const;
const HCM = `${T}filters.network.http_connection_manager.v3.HttpConnectionManager`;
const TLS = `${T}transport_sockets.tls.v3.DownstreamTlsContext`;
const CORS_POLICY = `${T}filters.http.cors.v3.CorsPolicy`;
const UPSTREAM_HTTP = `${T}upstreams.http.v3.HttpProtocolOptions`;
const MIN_STREAM_IDLE_S = 60;

const obj = (value: unknown): Node =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Node) : {};
const list = (value: unknown): Node[] => (Array.isArray(value) ? value.map(obj) : []);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Seconds of a proto3 JSON duration ("1.5s"); undefined when absent. */
export function seconds(value: unknown): number | undefined {
  return typeof value === "string" && /^\d+(\.\d+)?s$/.test(value) ? Number(value.slice(0, -1)) : undefined;
}

function percentIsFull(value: unknown): boolean {
  const d = obj(obj(value).default_value);
  return d.numerator === 100 && (d.denominator ?? "HUNDRED") === "HUNDRED";
}

/** The route Envoy would pick for a path: the first whose match accepts it. */
function routeFor(routes: Node[], path: string): Node | undefined {
  return routes.find((r) => {
    const m = obj(r.match);
    if (typeof m.path === "string") return m.path === path;
    if (typeof m.prefix === "string") return path.startsWith(m.prefix);
    return false;
  });
}

export function checkEnvoySemantics(document: unknown): string[] {
  const errors: string[] = [];
  const doc = obj(document);
  const resources = obj(doc.static_resources);
  const clusters = list(resources.clusters);
  const clusterNames = new Set(clusters.map((c) => str(c.name)));
  const listeners = list(resources.listeners);

  const adminAddress = str(obj(obj(obj(doc.admin).address).socket_address).address);
  if (adminAddress !== undefined && adminAddress !== "127.0.0.1" && adminAddress !== "::1") {
    errors.push(`admin listens on ${adminAddress}, not loopback`);
  }

  const tls = listeners.flatMap((l) =>
    list(l.filter_chains)
      .map((chain) => obj(obj(chain.transport_socket).typed_config))
      .filter((config) => config["@type"] === TLS),
  );
  if (tls.length === 0) errors.push("no listener terminates TLS");
  for (const config of tls) {
    const alpn = obj(config.common_tls_context).alpn_protocols;
    if (!Array.isArray(alpn) || alpn[0] !== "h2" || !alpn.includes("http/1.1")) {
      errors.push(`TLS ALPN must be h2 first, then http/1.1; got ${JSON.stringify(alpn)}`);
    }
  }

  const managers = listeners.flatMap((l) =>
    list(l.filter_chains).flatMap((chain) =>
      list(chain.filters).map((f) => ({ listener: str(l.name) ?? "?", config: obj(f.typed_config) })),
    ),
  );
  if (managers.length === 0) errors.push("no listener has an http_connection_manager");
  for (const { listener, config } of managers) {
    const at = `listener ${listener}`;
    if (config["@type"] !== HCM) {
      errors.push(`${at}: network filter is ${String(config["@type"])}, not the http_connection_manager`);
      continue;
    }
    if ((seconds(config.request_timeout) ?? 0) !== 0)
      errors.push(`${at}: request_timeout would cut downloads`);
    const streamIdle = seconds(config.stream_idle_timeout);
    if (streamIdle !== undefined && streamIdle !== 0 && streamIdle < MIN_STREAM_IDLE_S) {
      errors.push(`${at}: stream_idle_timeout ${streamIdle}s is under ${MIN_STREAM_IDLE_S}s`);
    }

    const filters = list(config.http_filters);
    const order = filters.map((f) => [str(f.name), str(obj(f.typed_config)["@type"])]);
    if (JSON.stringify(order) !== JSON.stringify(FILTER_ORDER)) {
      errors.push(
        `${at}: http filters must be grpc_web → cors → local_ratelimit → router, got ${JSON.stringify(order.map((o) => o[0]))}`,
      );
    }
    const limit = obj(filters.find((f) => f.name === FILTER_ORDER[2][0])?.typed_config);
    if (limit.rate_limited_as_resource_exhausted !== true) {
      errors.push(
        `${at}: local_ratelimit must answer RESOURCE_EXHAUSTED (rate_limited_as_resource_exhausted)`,
      );
    }
    if (!percentIsFull(limit.filter_enabled) || !percentIsFull(limit.filter_enforced)) {
      errors.push(`${at}: local_ratelimit must be enabled and enforced for 100% (the default is 0%)`);
    }
    if (limit.token_bucket === undefined) errors.push(`${at}: local_ratelimit has no token bucket`);

    for (const host of list(obj(config.route_config).virtual_hosts)) {
      const hostAt = `${at} vhost ${str(host.name) ?? "?"}`;
      const cors = obj(obj(host.typed_per_filter_config)[FILTER_ORDER[1][0]]);
      const exposed = (str(cors.expose_headers) ?? "").split(",").map((h) => h.trim());
      if (
        cors["@type"] !== CORS_POLICY ||
        !exposed.includes("grpc-status") ||
        !exposed.includes("grpc-message")
      ) {
        errors.push(`${hostAt}: CORS policy must expose grpc-status and grpc-message`);
      }
      const routes = list(host.routes);
      for (const route of routes) {
        const action = obj(route.route);
        const routeAt = `${hostAt} route ${str(route.name) ?? JSON.stringify(route.match)}`;
        const cluster = str(action.cluster);
        if (cluster === undefined || !clusterNames.has(cluster)) {
          errors.push(`${routeAt}: cluster ${String(cluster)} is not defined`);
        }
        const hashes = list(action.hash_policy).map((h) => str(obj(h.header).header_name));
        if (!hashes.includes(FILE_ID_HEADER)) errors.push(`${routeAt}: no hash_policy on ${FILE_ID_HEADER}`);
        const byIp = list(action.rate_limits).some((r) =>
          list(r.actions).some((a) => a.remote_address !== undefined),
        );
        if (!byIp) errors.push(`${routeAt}: no remote_address rate-limit action (per client IP)`);
      }
      const download = routeFor(routes, DOWNLOAD_PATH);
      if (!download) {
        errors.push(`${hostAt}: nothing routes ${DOWNLOAD_PATH}`);
        continue;
      }
      const action = obj(download.route);
      const routeAt = `${hostAt}: the route taking ${DOWNLOAD_PATH}`;
      if (seconds(action.timeout) !== 0) {
        errors.push(
          `${routeAt} must have timeout 0s (the 15 s default kills downloads), got ${String(action.timeout)}`,
        );
      }
      const idle = seconds(action.idle_timeout);
      if (idle === undefined || idle < MIN_STREAM_IDLE_S) {
        errors.push(
          `${routeAt} needs idle_timeout ≥ ${MIN_STREAM_IDLE_S}s, got ${String(action.idle_timeout)}`,
        );
      }
      const cap = obj(action.max_stream_duration);
      if (!((seconds(cap.max_stream_duration) ?? 0) > 0))
        errors.push(`${routeAt} needs a max_stream_duration cap`);
      if (!((seconds(cap.grpc_timeout_header_max) ?? 0) > 0)) {
        errors.push(`${routeAt} must honour grpc-timeout up to a bound (grpc_timeout_header_max)`);
      }
    }
  }

  for (const cluster of clusters) {
    const at = `cluster ${str(cluster.name) ?? "?"}`;
    const options = obj(
      obj(cluster.typed_extension_protocol_options)["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"],
    );
    const h2 = obj(obj(options.explicit_http_config).http2_protocol_options);
    if (
      options["@type"] !== UPSTREAM_HTTP ||
      obj(options.explicit_http_config).http2_protocol_options === undefined
    ) {
      errors.push(`${at}: upstream must speak HTTP/2 (explicit_http_config.http2_protocol_options)`);
    } else if (!((seconds(obj(h2.connection_keepalive).interval) ?? 0) > 0)) {
      errors.push(`${at}: upstream HTTP/2 needs connection_keepalive`);
    }
    if (!list(cluster.health_checks).some((h) => h.grpc_health_check !== undefined)) {
      errors.push(`${at}: needs a gRPC health check`);
    }
    if (cluster.outlier_detection === undefined) errors.push(`${at}: needs outlier_detection`);
    if (cluster.lb_policy !== "RING_HASH")
      errors.push(`${at}: lb_policy must be RING_HASH for the file-id hash`);
  }
  return errors;
}
