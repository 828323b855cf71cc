import { ConfigError } from "./config-error";
import { EnvReader } from "./env-reader";
import { readApiKeysFile, readTlsConfig, type TlsConfig } from "./security-config";

export type StorageConfig =
  | { readonly driver: "fs"; readonly dataDir: string }
  | {
      readonly driver: "s3";
      /** Primary first; later entries are failover targets. */
      readonly endpoints: readonly URL[];
      readonly region: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly bucket: string;
      readonly forcePathStyle: boolean;
    };

export interface StoragePolicyConfig {
  /** Per storage call (stat, get, put, opening a read). */
  readonly timeoutMs: number;
  /** Waits between attempts: the first attempt is immediate, one retry per entry. */
  readonly retryDelaysMs: readonly number[];
  readonly breakerThreshold: number;
  readonly breakerHalfOpenAfterMs: number;
  /** How often a broken read is re-opened at the next offset before the stream fails. */
  readonly readResumeAttempts: number;
  /** With several S3 endpoints: how often one marked down is pinged to bring it back. */
  readonly failoverProbeIntervalMs: number;
}

export interface Config {
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly metricsHost: string;
  /** 0 = no metrics endpoint. */
  readonly metricsPort: number;
  readonly storage: StorageConfig;
  readonly storagePolicy: StoragePolicyConfig;
  readonly delay: { readonly enabled: boolean; readonly minMs: number; readonly maxMs: number };
  readonly heartbeatIntervalMs: number;
  readonly chunkSizeBytes: number;
  readonly maxConcurrentJobs: number;
  readonly maxStreamsPerClient: number;
  /** Empty = authentication off. API_KEYS and API_KEYS_FILE merged. */
  readonly apiKeys: readonly string[];
  /** Undefined = plaintext gRPC port. */
  readonly tls?: TlsConfig;
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
  readonly trustProxy: boolean;
  readonly reflectionRequiresKey: boolean;
  /** Create sample files when the fs data directory has none. */
  readonly seedSampleData: boolean;
}

export const MIN_CHUNK_SIZE = 16 * 1024;
export const MAX_CHUNK_SIZE = 1024 * 1024;
const LOG_LEVELS = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;

/**
 * Reads the whole configuration from the environment, the one place that does.
 * Every problem is collected and reported together, each naming its variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = new EnvReader(env);
  const driver = r.oneOf("STORAGE_DRIVER", ["fs", "s3"] as const, "fs");
  let storage: StorageConfig;
  if (driver === "s3") {
    storage = {
      driver,
      endpoints: r.urlList("S3_ENDPOINT"),
      region: r.string("S3_REGION", "us-east-1"),
      accessKeyId: r.requiredString("S3_ACCESS_KEY_ID"),
      secretAccessKey: r.requiredString("S3_SECRET_ACCESS_KEY"),
      bucket: r.string("S3_BUCKET_NAME", "downloads"),
      forcePathStyle: r.bool("S3_FORCE_PATH_STYLE", true),
    };
  } else {
    storage = { driver, dataDir: r.string("DATA_DIR", "./data") };
  }
  const delay = {
    enabled: r.bool("DOWNLOAD_DELAY_ENABLED", true),
    minMs: r.int("DOWNLOAD_DELAY_MIN_MS", 10_000, { min: 0 }),
    maxMs: r.int("DOWNLOAD_DELAY_MAX_MS", 120_000, { min: 0 }),
  };
  if (delay.minMs > delay.maxMs) {
    r.problem("DOWNLOAD_DELAY_MIN_MS", `must not exceed DOWNLOAD_DELAY_MAX_MS (${delay.maxMs})`);
  }
  const config: Config = {
    grpcHost: r.string("GRPC_HOST", "0.0.0.0"),
    grpcPort: r.int("GRPC_PORT", 50051, { min: 0, max: 65535 }),
    metricsHost: r.string("METRICS_HOST", "0.0.0.0"),
    metricsPort: r.int("METRICS_PORT", 9464, { min: 0, max: 65535 }),
    storage,
    storagePolicy: {
      timeoutMs: r.int("STORAGE_TIMEOUT_MS", 10_000, { min: 1 }),
      retryDelaysMs: r.intList("STORAGE_RETRY_DELAYS_MS", [100, 200, 400], { min: 0 }),
      breakerThreshold: r.int("STORAGE_BREAKER_THRESHOLD", 5, { min: 1 }),
      breakerHalfOpenAfterMs: r.int("STORAGE_BREAKER_HALF_OPEN_AFTER_MS", 30_000, { min: 1 }),
      readResumeAttempts: r.int("STORAGE_READ_RESUME_ATTEMPTS", 3, { min: 0 }),
      failoverProbeIntervalMs: r.int("STORAGE_FAILOVER_PROBE_MS", 5_000, { min: 10 }),
    },
    delay,
    heartbeatIntervalMs: r.int("HEARTBEAT_INTERVAL_MS", 5_000, { min: 10 }),
    chunkSizeBytes: r.int("CHUNK_SIZE_BYTES", 256 * 1024, { min: MIN_CHUNK_SIZE, max: MAX_CHUNK_SIZE }),
    maxConcurrentJobs: r.int("MAX_CONCURRENT_JOBS", 64, { min: 1 }),
    maxStreamsPerClient: r.int("MAX_STREAMS_PER_CLIENT", 32, { min: 1 }),
    apiKeys: [...new Set([...r.list("API_KEYS"), ...readApiKeysFile(r)])],
    tls: readTlsConfig(r),
    shutdownGraceMs: r.int("SHUTDOWN_GRACE_MS", 30_000, { min: 0 }),
    logLevel: r.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    trustProxy: r.bool("TRUST_PROXY", false),
    reflectionRequiresKey: r.bool("REFLECTION_REQUIRES_KEY", false),
    seedSampleData: r.bool("SEED_SAMPLE_DATA", true),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

export interface TracingConfig {
  /** OTLP/HTTP base URL (e.g. http://jaeger:4318); unset = tracing off, nothing exported. */
  readonly otlpEndpoint: URL | undefined;
  readonly serviceName: string;
}

/**
 * For the tracing preload (observability/tracing.ts), which runs before main. The OpenTelemetry
 * SDK also reads its own OTEL_* variables (batching, sampling, headers): the one exception to
 * this file being the only reader of the environment.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const r = new EnvReader(env);
  const set = r.list("OTEL_EXPORTER_OTLP_ENDPOINT").length > 0;
  const otlpEndpoint = set ? r.urlList("OTEL_EXPORTER_OTLP_ENDPOINT")[0] : undefined;
  const tracing = { otlpEndpoint, serviceName: r.string("OTEL_SERVICE_NAME", "delineate") };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return tracing;
}
