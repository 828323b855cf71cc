import { encodeGrpcWebFrame, readGrpcWebFrames, TruncatedStreamError } from "./grpc-web-frames";

/** gRPC status codes the page cares about by name. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A call ended with a non-OK grpc-status, or the transport failed (code UNAVAILABLE, network true). */
export class GrpcWebError extends Error {
  override readonly name = "GrpcWebError";
  constructor(
    readonly code: number,
    message: string,
    /** The response broke off or never came: the request may be resumed. */
    readonly network: boolean,
    readonly retryAfterMs = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ServerStreamOptions {
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/**
 * One server-streaming call over binary gRPC-Web (application/grpc-web+proto) with fetch: yields each
 * response message's bytes as it arrives; throws GrpcWebError for a non-OK status.
 */
export async function* serverStream(
  baseUrl: string,
  method: string,
  request: Uint8Array,
  options: ServerStreamOptions = {},
): AsyncGenerator<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/$/, "")}/${method}`, {
      method: "POST",
      headers: {
        "content-type": "application/grpc-web+proto",
        accept: "application/grpc-web+proto",
        "x-grpc-web": "1",
        ...options.headers,
      },
      body: encodeGrpcWebFrame(request),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new GrpcWebError(GrpcCode.UNAVAILABLE, `network error: ${String(error)}`, true, 0, {
      cause: error,
    });
  }
  // A trailers-only response (an error before any message) carries the status in the headers.
  const headerStatus = response.headers.get("grpc-status");
  if (headerStatus !== null) {
    throwIfNotOk(headerStatus, response.headers.get("grpc-message"), response.headers.get("retry-after-ms"));
    return;
  }
  if (!response.ok || !response.body) {
    throw new GrpcWebError(GrpcCode.UNAVAILABLE, `HTTP ${response.status} from the gRPC-Web endpoint`, true);
  }
  try {
    for await (const frame of readGrpcWebFrames(response.body)) {
      if (frame.kind === "data") {
        yield frame.bytes;
        continue;
      }
      const h = frame.headers;
      throwIfNotOk(
        h.get("grpc-status") ?? null,
        h.get("grpc-message") ?? null,
        h.get("retry-after-ms") ?? null,
      );
      return;
    }
  } catch (error) {
    if (error instanceof GrpcWebError || options.signal?.aborted) throw error;
    // fetch's body reader fails with a TypeError when the connection drops.
    const message = error instanceof TruncatedStreamError ? error.message : `stream broke: ${String(error)}`;
    throw new GrpcWebError(GrpcCode.UNAVAILABLE, message, true, 0, { cause: error });
  }
  throw new GrpcWebError(GrpcCode.UNAVAILABLE, "the stream ended without trailers", true);
}

function throwIfNotOk(status: string | null, message: string | null, retryAfter: string | null): void {
  const code = Number(status ?? GrpcCode.UNAVAILABLE);
  if (code === GrpcCode.OK) return;
  const text = message ? decodeURIComponent(message) : `gRPC status ${code}`;
  const retryAfterMs = Number(retryAfter ?? 0);
  throw new GrpcWebError(code, text, false, Number.isFinite(retryAfterMs) ? retryAfterMs : 0);
}
