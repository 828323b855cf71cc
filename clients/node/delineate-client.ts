import { credentials, Metadata, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import type { Writable } from "node:stream";
import {
  type DownloadServiceClient,
  type CheckFileResponse,
  type PreparedFile,
} from "../../src/gen/delineate/v1/download_service";
import { FastDownloadServiceClient } from "../../src/download/client-transport";
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from "./client-options";
import { downloadFile, type DownloadOptions, type DownloadResult } from "./download-file";

/** Envoy's ring hash routes on this header, so every call for one file reaches the pod running its job. */
export const FILE_ID_HEADER = "x-file-id";

export interface UnaryOptions {
  /** Default 30 s: these calls answer at once. */
  readonly timeoutMs?: number;
}

/** A typed client for delineate.v1.DownloadService over one grpc-js channel. */
export class DelineateClient {
  private current: DownloadServiceClient;
  private readonly options: ResolvedClientOptions;

  /** `address` is host:port, e.g. "localhost:50051". */
  constructor(
    readonly address: string,
    options: ClientOptions = {},
  ) {
    this.options = resolveClientOptions(options);
    this.current = this.newStub();
  }

  /** The generated grpc-js stub, for calls this class does not wrap. */
  get stub(): DownloadServiceClient {
    return this.current;
  }

  checkFile(fileId: number, options: UnaryOptions = {}): Promise<CheckFileResponse> {
    return new Promise((resolve, reject) =>
      this.stub.checkFile({ fileId }, this.metadata(fileId), callOptions(options), (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  /** Starts (or joins) the preparation of files and answers at once. */
  prepareFiles(fileIds: readonly number[], options: UnaryOptions = {}): Promise<PreparedFile[]> {
    return new Promise((resolve, reject) =>
      this.stub.prepareFiles(
        { fileIds: [...fileIds] },
        this.metadata(),
        callOptions(options),
        (error: ServiceError | null, response) => (error ? reject(error) : resolve(response.files)),
      ),
    );
  }

  /**
   * Downloads a file to `destination` (a path: written as `{path}.part`, renamed once verified) or into a
   * Writable; resumes through drops and restarts, and verifies the sha256. Rejects with a DownloadError.
   */
  downloadFile(
    fileId: number,
    destination: string | Writable,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const transport = {
      stub: () => this.current,
      metadata: (id: number) => this.metadata(id),
      reconnect: () => this.reconnect(),
    };
    return downloadFile(transport, fileId, destination, options);
  }

  /** Metadata for one call: the API key and, when the call is about one file, its id. */
  metadata(fileId?: number): Metadata {
    const metadata = new Metadata();
    if (this.options.apiKey) metadata.set("authorization", `Bearer ${this.options.apiKey}`);
    if (fileId !== undefined) metadata.set(FILE_ID_HEADER, String(fileId));
    return metadata;
  }

  /**
   * A fresh channel. A silent stream usually means a dead connection that keepalive would notice only
   * after 40 s; calls still running on the old channel carry on until they end.
   */
  reconnect(): void {
    const old = this.current;
    this.current = this.newStub();
    old.close();
  }

  close(): void {
    this.current.close();
  }

  private newStub(): DownloadServiceClient {
    return new FastDownloadServiceClient(
      this.address,
      channelCredentials(this.options),
      this.options.channelOptions,
    );
  }
}

function channelCredentials(options: ResolvedClientOptions): ChannelCredentials {
  return options.tls ? credentials.createSsl(options.tls.ca ?? null) : credentials.createInsecure();
}

function callOptions(options: UnaryOptions) {
  return { deadline: Date.now() + (options.timeoutMs ?? 30_000) };
}
