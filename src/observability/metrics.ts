import { statfs } from "node:fs/promises";
import { CircuitState } from "cockatiel";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Job } from "../jobs/job";
import type { StorageOperation, StoragePolicyEvents } from "../resilience/resilient-object-store";

/** Labels of the standard gRPC server metrics (go-grpc-prometheus names). */
type GrpcLabels = "grpc_type" | "grpc_service" | "grpc_method";

export interface MetricsOptions {
  /** Jobs queued / processing right now, asked at scrape time. */
  readonly jobCounts?: () => { queued: number; processing: number };
  /** Age of the longest-running processing job, asked at scrape time. */
  readonly oldestProcessingMs?: () => number;
  /** Download streams open now, by stage, asked at scrape time. */
  readonly streamCounts?: () => { waiting: number; sending: number };
  /** The configured upper bound of the simulated processing, for the "beyond max" alert. */
  readonly processingMaxSeconds: number;
  /** fs driver: the data directory whose volume fill is reported. */
  readonly dataDir?: string;
}

const STORAGE_OPERATIONS: readonly StorageOperation[] = ["stat", "read", "get", "put", "ping"];

const CIRCUIT_STATES: ReadonlyArray<[CircuitState, string]> = [
  [CircuitState.Closed, "closed"],
  [CircuitState.Open, "open"],
  [CircuitState.HalfOpen, "half_open"],
  [CircuitState.Isolated, "isolated"],
];

/**
 * Every metric the service exposes, in its own registry (never the global one). Labels are
 * bounded: method names, codes, outcomes and phases, never file ids or clients.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly grpcStarted: Counter<GrpcLabels>;
  readonly grpcHandled: Counter<GrpcLabels | "grpc_code">;
  readonly grpcHandlingSeconds: Histogram<GrpcLabels | "grpc_code">;
  readonly grpcMsgSent: Counter<GrpcLabels>;
  readonly grpcMsgReceived: Counter<GrpcLabels>;

  readonly downloads: Counter<"outcome">;
  readonly bytesSent: Counter;
  readonly timeToFirstStatus: Histogram;
  readonly timeToFirstByte: Histogram;
  readonly jobJoins: Counter;
  readonly jobsEnded: Counter<"outcome">;
  readonly jobProcessingSeconds: Histogram<"outcome">;
  readonly storageSeconds: Histogram<"operation" | "outcome">;
  readonly storageRetries: Counter<"operation">;
  readonly circuitState: Gauge<"state">;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.grpcStarted = new Counter({
      name: "grpc_server_started_total",
      help: "RPCs started on the server.",
      labelNames: ["grpc_type", "grpc_service", "grpc_method"],
      registers,
    });
    this.grpcHandled = new Counter({
      name: "grpc_server_handled_total",
      help: "RPCs completed on the server, by status code.",
      labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
      registers,
    });
    this.grpcHandlingSeconds = new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time from the start of an RPC to its status (whole downloads included).",
      labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
      // Unary calls take milliseconds; downloads 10-120 s of processing plus the transfer.
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.grpcMsgSent = new Counter({
      name: "grpc_server_msg_sent_total",
      help: "Messages sent by the server.",
      labelNames: ["grpc_type", "grpc_service", "grpc_method"],
      registers,
    });
    this.grpcMsgReceived = new Counter({
      name: "grpc_server_msg_received_total",
      help: "Messages received by the server.",
      labelNames: ["grpc_type", "grpc_service", "grpc_method"],
      registers,
    });

    this.downloads = new Counter({
      name: "delineate_downloads_total",
      help: "Download calls ended, by outcome (completed, cancelled, or the gRPC code of the failure).",
      labelNames: ["outcome"],
      registers,
    });
    this.bytesSent = new Counter({
      name: "delineate_bytes_sent_total",
      help: "File bytes sent in Download chunks.",
      registers,
    });
    const { streamCounts } = options;
    new Gauge({
      name: "delineate_active_streams",
      help: "Download streams open now: waiting (queued/processing) or sending (chunks flowing).",
      labelNames: ["stage"],
      registers,
      collect() {
        const counts = streamCounts?.() ?? { waiting: 0, sending: 0 };
        this.set({ stage: "waiting" }, counts.waiting);
        this.set({ stage: "sending" }, counts.sending);
      },
    });
    this.timeToFirstStatus = new Histogram({
      name: "delineate_time_to_first_status_seconds",
      help: "From the start of a Download to its first status message.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.timeToFirstByte = new Histogram({
      name: "delineate_time_to_first_byte_seconds",
      help: "From the start of a Download to its first chunk (includes processing).",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 90, 120, 180, 300],
      registers,
    });
    this.jobJoins = new Counter({
      name: "delineate_job_joins_total",
      help: "Calls that joined a job already running for the same file (deduplicated work).",
      registers,
    });
    this.jobsEnded = new Counter({
      name: "delineate_jobs_total",
      help: "Preparation jobs ended, by outcome (ready, failed).",
      labelNames: ["outcome"],
      registers,
    });
    this.jobProcessingSeconds = new Histogram({
      name: "delineate_job_processing_seconds",
      help: "Processing time of a job (simulated delay and sha256 scan), by outcome.",
      labelNames: ["outcome"],
      buckets: [0.1, 0.5, 1, 5, 10, 20, 30, 45, 60, 90, 120, 150, 180, 300],
      registers,
    });
    const { jobCounts } = options;
    new Gauge({
      name: "delineate_jobs",
      help: "Jobs now, by phase (queued, processing).",
      labelNames: ["phase"],
      registers,
      collect() {
        const counts = jobCounts?.() ?? { queued: 0, processing: 0 };
        this.set({ phase: "queued" }, counts.queued);
        this.set({ phase: "processing" }, counts.processing);
      },
    });
    const { oldestProcessingMs } = options;
    new Gauge({
      name: "delineate_job_oldest_processing_seconds",
      help: "Age of the longest-running processing job (0 when none).",
      registers,
      collect() {
        this.set((oldestProcessingMs?.() ?? 0) / 1000);
      },
    });
    new Gauge({
      name: "delineate_job_processing_max_seconds",
      help: "The configured maximum simulated processing time (DOWNLOAD_DELAY_MAX_MS).",
      registers,
    }).set(options.processingMaxSeconds);

    this.storageSeconds = new Histogram({
      name: "delineate_storage_request_seconds",
      help: "Storage calls through the resilience policy (retries included), by operation and outcome.",
      labelNames: ["operation", "outcome"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.storageRetries = new Counter({
      name: "delineate_storage_retries_total",
      help: "Storage call attempts after the first, by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.circuitState = new Gauge({
      name: "delineate_storage_circuit_state",
      help: "The storage circuit breaker: 1 for its current state, 0 for the others.",
      labelNames: ["state"],
      registers,
    });
    this.setCircuitState(CircuitState.Closed);

    // Known label values start at 0, so rate() and alerts see the first event, not just the second.
    for (const outcome of ["completed", "cancelled"]) this.downloads.inc({ outcome }, 0);
    for (const outcome of ["ready", "failed"]) {
      this.jobsEnded.inc({ outcome }, 0);
      this.jobProcessingSeconds.zero({ outcome });
    }
    for (const operation of STORAGE_OPERATIONS) {
      this.storageRetries.inc({ operation }, 0);
      for (const outcome of ["ok", "error"]) this.storageSeconds.zero({ operation, outcome });
    }

    const { dataDir } = options;
    if (dataDir !== undefined) {
      new Gauge({
        name: "delineate_data_volume_used_ratio",
        help: "Fill of the volume holding DATA_DIR (fs driver), 0..1.",
        registers,
        async collect() {
          const stats = await statfs(dataDir).catch(() => undefined);
          if (stats && stats.blocks > 0) this.set(1 - stats.bavail / stats.blocks);
        },
      });
    }
  }

  /** Hooks for ResilientObjectStore. */
  readonly storageEvents: StoragePolicyEvents = {
    onRetry: (operation) => this.storageRetries.inc({ operation }),
    onCall: (operation, outcome, seconds) => this.storageSeconds.observe({ operation, outcome }, seconds),
    onCircuitStateChange: (state) => this.setCircuitState(state),
  };

  /** Hooks for JobRegistry. */
  readonly jobJoined = (): void => {
    this.jobJoins.inc();
  };

  readonly jobEnded = (job: Job, outcome: "ready" | "failed"): void => {
    this.jobsEnded.inc({ outcome });
    // A job that failed while queued never processed: its time says nothing.
    if (job.processingMs > 0) this.jobProcessingSeconds.observe({ outcome }, job.processingMs / 1000);
  };

  private setCircuitState(current: CircuitState): void {
    for (const [state, name] of CIRCUIT_STATES)
      this.circuitState.set({ state: name }, state === current ? 1 : 0);
  }
}
