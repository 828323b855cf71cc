import http from "node:http";
import https from "node:https";
import type { Duplex, Readable } from "node:stream";
import { Client } from "minio";
import type { ByteRange, ObjectInfo, ObjectStore } from "./object-store";

export interface S3ObjectStoreOptions {
  readonly endpoint: URL;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  /**
   * A socket with no traffic for this long is destroyed. The client library takes no abort
   * signal, so this is what ends a request to a storage that accepted and then went silent.
   */
  readonly socketIdleTimeoutMs?: number;
}

const NOT_FOUND_CODES = new Set(["NotFound", "NoSuchKey", "NoSuchBucket"]);

/** MinIO, AWS S3 or any S3-compatible server, through the minio client. */
export class S3ObjectStore implements ObjectStore {
  readonly driver = "s3";
  private readonly client: Client;
  private readonly agent: http.Agent;

  constructor(private readonly options: S3ObjectStoreOptions) {
    const secure = options.endpoint.protocol === "https:";
    // Keep-alive: a download is several requests (stat, record, ranged GET); reuse sockets.
    const agentOptions = { keepAlive: true, timeout: options.socketIdleTimeoutMs };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    if (options.socketIdleTimeoutMs !== undefined) destroyIdleSockets(this.agent);
    this.client = new Client({
      endPoint: options.endpoint.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: options.endpoint.port === "" ? undefined : Number(options.endpoint.port),
      useSSL: secure,
      region: options.region,
      accessKey: options.accessKeyId,
      secretKey: options.secretAccessKey,
      pathStyle: options.forcePathStyle,
      transportAgent: this.agent,
      // Retries belong to our own policy (resilience/), which also feeds the breaker.
      retryOptions: { disableRetry: true },
    });
  }

  get bucket(): string {
    return this.options.bucket;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await this.client.statObject(this.options.bucket, key);
      return { size: s.size, etag: s.etag, lastModified: s.lastModified };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  read(key: string, range: ByteRange): Promise<Readable> {
    return this.client.getPartialObject(this.options.bucket, key, range.offset, range.length);
  }

  async get(key: string): Promise<Buffer | undefined> {
    let stream: Readable;
    try {
      stream = await this.client.getObject(this.options.bucket, key);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.putObject(this.options.bucket, key, body, body.length, { "Content-Type": contentType });
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.options.bucket))) {
      throw new Error(`bucket ${this.options.bucket} does not exist`);
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

/** The agent only sets the idle timer; in-use sockets must be ended by us when it fires. */
function destroyIdleSockets(agent: http.Agent): void {
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => Duplex;
  agent.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.once("timeout", () => socket.destroy(new Error("storage connection idle")));
    return socket;
  };
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && NOT_FOUND_CODES.has(code);
}
