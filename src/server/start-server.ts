import { CircuitState } from "cockatiel";
import type { Logger } from "winston";
import type { Config } from "../config/config";
import { ActiveDownloads } from "../download/active-downloads";
import { createDownloadService } from "../download/download-service";
import type { ServiceDeps } from "../download/service-deps";
import { JobRegistry } from "../jobs/job-registry";
import { createPrepareFile } from "../jobs/prepare-file";
import { PreparedRecords } from "../jobs/prepared-records";
import { createCallObserver } from "../observability/call-observer";
import { Metrics } from "../observability/metrics";
import { startMetricsServer, type MetricsServer } from "../observability/metrics-server";
import { tracingEnabled } from "../observability/spans";
import { TracedObjectStore } from "../observability/traced-object-store";
import { ResilientObjectStore } from "../resilience/resilient-object-store";
import { STORAGE_HEALTH_SERVICE, storageHealthEvents } from "../resilience/storage-health";
import { createObjectStore } from "../storage/create-object-store";
import type { ObjectStore } from "../storage/object-store";
import { ensureSampleFiles } from "../storage/sample-files";
import { ApiKeys } from "./api-keys";
import { createAuthInterceptor } from "./auth-interceptor";
import { clientIdentity } from "./client-identity";
import { createGrpcServer, HEALTH_SERVICES } from "./grpc-server";
import type { ServingStatus } from "./health-service";
import { serverCredentials } from "./server-credentials";

/** How long, at the end of a shutdown, open calls may take to deliver their last status. */
const FINAL_MARGIN_MS = 2_000;

export interface StartOptions {
  readonly logger: Logger;
  /** Defaults to the configured driver; tests may hand in a wrapped store. */
  readonly store?: ObjectStore;
  /** For the simulated delay; uniform in [0, 1). */
  readonly random?: () => number;
  readonly onScan?: (fileId: number) => void;
}

export interface RunningServer {
  readonly port: number;
  readonly deps: ServiceDeps;
  readonly metrics: Metrics;
  /** The bound /metrics port; undefined when METRICS_PORT=0. */
  readonly metricsPort: number | undefined;
  /** Graceful: NOT_SERVING, drain streams, force after the grace period. */
  shutdown(): Promise<void>;
}

/** Builds every part from the configuration and starts serving. */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  if (config.storage.driver === "fs" && config.seedSampleData && !options.store) {
    const seeded = await ensureSampleFiles(config.storage.dataDir);
    if (seeded.length > 0)
      logger.info("created sample files", { file_ids: seeded, data_dir: config.storage.dataDir });
  }
  const metrics: Metrics = new Metrics({
    jobCounts: () => jobs.counts,
    oldestProcessingMs: () => jobs.oldestProcessingMs,
    streamCounts: () => downloads.countsByStage,
    processingMaxSeconds: config.delay.enabled ? config.delay.maxMs / 1000 : 0,
    dataDir: config.storage.driver === "fs" ? config.storage.dataDir : undefined,
  });
  let setStorageHealth: ((status: ServingStatus) => void) | undefined;
  const driver = options.store ?? createObjectStore(config.storage, config.storagePolicy);
  const store = new ResilientObjectStore(
    // Without tracing a span per storage call is pure cost (a no-op span and context switch each).
    tracingEnabled() ? new TracedObjectStore(driver) : driver,
    config.storagePolicy,
    [metrics.storageEvents, storageHealthEvents(() => setStorageHealth)],
  );
  const records = new PreparedRecords(store, logger);
  const prepare = createPrepareFile({
    store,
    delay: config.delay,
    resumeAttempts: config.storagePolicy.readResumeAttempts,
    random: options.random,
    onScan: options.onScan,
  });
  const jobs = new JobRegistry({
    prepare,
    records,
    maxConcurrentJobs: config.maxConcurrentJobs,
    expectedProcessingMs: config.delay.enabled ? (config.delay.minMs + config.delay.maxMs) / 2 : 0,
    logger,
    onJobJoin: metrics.jobJoined,
    onJobEnd: metrics.jobEnded,
  });
  const keys = new ApiKeys(config.apiKeys);
  if (!keys.enabled) logger.warn("API_KEYS is empty: authentication is off");
  const downloads = new ActiveDownloads(config.maxStreamsPerClient);
  const deps: ServiceDeps = {
    config,
    store,
    records,
    jobs,
    downloads,
    logger,
    clientId: (metadata, peer) =>
      clientIdentity(metadata, peer, { authEnabled: keys.enabled, trustProxy: config.trustProxy }),
  };
  const { server, health } = createGrpcServer(createDownloadService(deps), [
    // First, so it sees (and counts, and logs) the calls the others reject.
    createCallObserver(metrics, logger),
    createAuthInterceptor({ keys, reflectionRequiresKey: config.reflectionRequiresKey }),
  ]);
  const metricsServer: MetricsServer | undefined =
    config.metricsPort > 0
      ? await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort, logger)
      : undefined;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${config.grpcHost}:${config.grpcPort}`,
      serverCredentials(config.tls),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  ).catch(async (error: unknown) => {
    await metricsServer?.close();
    throw error;
  });
  for (const name of HEALTH_SERVICES) health.setStatus(name, "SERVING");
  health.setStatus(
    STORAGE_HEALTH_SERVICE,
    store.circuitState === CircuitState.Open ? "NOT_SERVING" : "SERVING",
  );
  setStorageHealth = (status) => health.setStatus(STORAGE_HEALTH_SERVICE, status);
  logger.info("listening", { host: config.grpcHost, port, storage: config.storage.driver });

  let stopping: Promise<void> | undefined;
  const shutdown = async () => {
    for (const name of HEALTH_SERVICES) health.setStatus(name, "NOT_SERVING");
    setStorageHealth = undefined;
    health.setStatus(STORAGE_HEALTH_SERVICE, "NOT_SERVING");
    downloads.startDraining();
    // Stop listening at once; open sessions get GOAWAY and their streams may finish.
    const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    logger.info("draining", { open_streams: downloads.size, grace_ms: config.shutdownGraceMs });
    const grace = setTimeout(() => downloads.drainAll(), config.shutdownGraceMs);
    // After the grace, streams get a moment to deliver their DRAINING status, then go regardless.
    await within(downloads.whenEmpty(), config.shutdownGraceMs + FINAL_MARGIN_MS);
    clearTimeout(grace);
    jobs.close();
    health.endWatches();
    await within(closed, FINAL_MARGIN_MS);
    server.forceShutdown();
    await store.close();
    await metricsServer?.close();
    logger.info("stopped");
  };
  return {
    port,
    deps,
    metrics,
    metricsPort: metricsServer?.port,
    shutdown: () => (stopping ??= shutdown()),
  };
}

/** Waits for `promise`, but no longer than `ms`; leaves no timer behind. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
