import { readFile } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import path from "node:path";

export interface GrpcWebProxyOptions {
  /** host:port of the real gRPC server. */
  readonly target: string;
  /** Static files served for GET (the built page). */
  readonly staticDir?: string;
  /**
   * Fault injection for resume tests: the first N responses of Download are broken off (the HTTP/1.1
   * connection destroyed) once this many body bytes went to the browser.
   */
  readonly breakDownloads?: { readonly count: number; readonly afterBytes: number };
}

export interface GrpcWebProxy {
  readonly url: string;
  /** Requests forwarded: the gRPC method path and the request body (gRPC-Web frames) as received. */
  readonly calls: { readonly method: string; readonly body: Buffer }[];
  /** Download responses broken off by the fault injection. */
  readonly broken: number;
  close(): Promise<void>;
}

/** Request headers passed on to the gRPC server (the call's metadata). */
const FORWARDED = ["authorization", "x-api-key", "x-file-id", "grpc-timeout", "x-forwarded-for"];
const EXPOSED = "grpc-status, grpc-message, retry-after-ms";
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

/**
 * A gRPC-Web → gRPC translator for tests, doing what Envoy's grpc_web filter does, because Envoy cannot
 * run here. Binary mode only (application/grpc-web+proto): a gRPC-Web data frame and a gRPC
 * length-prefixed message are the same five-byte-prefixed bytes, so bodies pass through as they come
 * (with backpressure) and only the end differs: gRPC's HTTP/2 trailers become a gRPC-Web trailer frame
 * (flag 0x80, "name: value\r\n" lines), and a trailers-only answer becomes response headers. CORS as the
 * edge config has it (grpc-status and grpc-message exposed).
 */
export async function startGrpcWebProxy(options: GrpcWebProxyOptions): Promise<GrpcWebProxy> {
  const calls: { method: string; body: Buffer }[] = [];
  let broken = 0;
  let session: http2.ClientHttp2Session | undefined;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(`http://${options.target}`);
    // A failed session is replaced on the next call; the call that saw it reports UNAVAILABLE.
    s.on("error", () => undefined);
    s.on("close", () => {
      if (session === s) session = undefined;
    });
    session = s;
    return s;
  };

  const server = http.createServer((req, res) => {
    res.setHeader("access-control-allow-origin", req.headers.origin ?? "*");
    res.setHeader("access-control-expose-headers", EXPOSED);
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-methods": "POST, GET, OPTIONS",
        "access-control-allow-headers":
          "content-type, x-grpc-web, x-user-agent, grpc-timeout, " + FORWARDED.join(", "),
        "access-control-max-age": "600",
      });
      res.end();
      return;
    }
    if (req.method === "GET" && options.staticDir) {
      void serveStatic(options.staticDir, req.url ?? "/", res);
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    if (req.method !== "POST" || !/^application\/grpc-web(\+proto)?$/.test(contentType)) {
      res
        .writeHead(415, { "content-type": "text/plain" })
        .end("binary gRPC-Web (application/grpc-web+proto) only\n");
      return;
    }
    const method = (req.url ?? "").split("?")[0]!;
    forward(method, req, res);
  });

  const forward = (method: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": method,
      "content-type": "application/grpc",
      te: "trailers",
    };
    for (const name of FORWARDED) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    let upstream: http2.ClientHttp2Stream;
    try {
      upstream = connect().request(headers);
    } catch {
      sendStatus(res, 14, "upstream connection failed");
      return;
    }
    const fault =
      options.breakDownloads && method.endsWith("/Download") && broken < options.breakDownloads.count
        ? options.breakDownloads.afterBytes
        : undefined;
    let sent = 0;
    let finished = false;
    const call = { method, body: Buffer.alloc(0) };
    calls.push(call);
    // Requests are one small message: keep a copy for the tests while passing it on.
    req.on("data", (data: Buffer) => (call.body = Buffer.concat([call.body, data])));
    req.pipe(upstream);
    // The browser went away (or aborted the fetch): cancel the gRPC call.
    res.on("close", () => {
      if (!finished && !upstream.closed) upstream.close(http2.constants.NGHTTP2_CANCEL);
    });
    upstream.on("response", (responseHeaders) => {
      const status = responseHeaders["grpc-status"];
      if (status !== undefined) {
        // Trailers-only: the status comes in the headers, with no body.
        finished = true;
        sendStatus(res, Number(status), String(responseHeaders["grpc-message"] ?? ""), responseHeaders);
        return;
      }
      res.writeHead(200, { "content-type": "application/grpc-web+proto" });
      res.flushHeaders();
    });
    upstream.on("data", (data: Buffer) => {
      if (finished) return;
      if (fault !== undefined && sent + data.length >= fault) {
        finished = true;
        broken++;
        res.write(data.subarray(0, fault - sent));
        upstream.close(http2.constants.NGHTTP2_CANCEL);
        res.destroy();
        return;
      }
      sent += data.length;
      if (!res.write(data)) {
        upstream.pause();
        res.once("drain", () => upstream.resume());
      }
    });
    upstream.on("trailers", (trailers: http2.IncomingHttpHeaders) => {
      if (finished) return;
      finished = true;
      res.end(trailerFrame(trailers));
    });
    upstream.on("end", () => {
      if (!finished) {
        finished = true;
        // A gRPC response without trailers is broken; say so the way a proxy would.
        res.end(trailerFrame({ "grpc-status": "13", "grpc-message": "upstream ended without trailers" }));
      }
    });
    upstream.on("error", () => {
      if (finished) return;
      finished = true;
      if (res.headersSent) res.destroy();
      else sendStatus(res, 14, "upstream unavailable");
    });
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get broken() {
      return broken;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const s = session;
      session = undefined;
      if (s && !s.destroyed) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** gRPC-Web trailer frame: flag 0x80, 4-byte length, then HTTP/1-style header lines. */
export function trailerFrame(trailers: http2.IncomingHttpHeaders | Record<string, string>): Buffer {
  const lines = Object.entries(trailers)
    .filter(([name]) => !name.startsWith(":"))
    .map(
      ([name, value]) =>
        `${name.toLowerCase()}: ${Array.isArray(value) ? value.join(", ") : String(value)}\r\n`,
    )
    .join("");
  const body = Buffer.from(lines, "latin1");
  const header = Buffer.alloc(5);
  header[0] = 0x80;
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

function sendStatus(
  res: http.ServerResponse,
  code: number,
  message: string,
  extra: http2.IncomingHttpHeaders = {},
): void {
  const headers: Record<string, string> = {
    "content-type": "application/grpc-web+proto",
    "grpc-status": String(code),
    "grpc-message": message,
  };
  const retryAfter = extra["retry-after-ms"];
  if (retryAfter !== undefined) headers["retry-after-ms"] = String(retryAfter);
  res.writeHead(200, headers).end();
}

async function serveStatic(dir: string, url: string, res: http.ServerResponse): Promise<void> {
  const name = url.split("?")[0] === "/" ? "index.html" : path.basename(url.split("?")[0]!);
  try {
    const body = await readFile(path.join(dir, name));
    res.writeHead(200, { "content-type": CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  }
}
