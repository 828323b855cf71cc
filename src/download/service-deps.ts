import type { Metadata } from "@grpc/grpc-js";
import type { Logger } from "winston";
import type { Config } from "../config/config";
import type { JobRegistry } from "../jobs/job-registry";
import type { PreparedRecords } from "../jobs/prepared-records";
import type { ObjectStore } from "../storage/object-store";
import type { ActiveDownloads } from "./active-downloads";

/** What the handlers need; built once in server/start-server.ts. */
export interface ServiceDeps {
  readonly config: Config;
  readonly store: ObjectStore;
  readonly records: PreparedRecords;
  readonly jobs: JobRegistry;
  readonly downloads: ActiveDownloads;
  readonly logger: Logger;
  /** Who is calling, for the per-client stream cap. */
  readonly clientId: (metadata: Metadata, peer: string) => string;
}
