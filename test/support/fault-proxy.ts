import net from "node:net";

/**
 * What the proxy does to connections. Switched at any time with setMode(); "refuse" and "hang"
 * also apply to connections already open (a crashed or frozen server affects pooled sockets too).
 */
export type FaultMode =
  | { readonly kind: "pass" }
  /** Accept and reset at once (RST), like a port whose server died. */
  | { readonly kind: "refuse" }
  /** New connections: accept, read and discard, never answer. Open ones: stall (bytes held, not lost). */
  | { readonly kind: "hang" }
  /** Forward, but reset a connection once it has carried `bytes` of response; `times` resets, then pass. */
  | { readonly kind: "reset-after"; readonly bytes: number; readonly times?: number }
  /** Forward with added one-way latency and/or a response bandwidth cap (bytes per second). */
  | { readonly kind: "slow"; readonly latencyMs?: number; readonly bytesPerSecond?: number };

export interface FaultProxy {
  /** http://127.0.0.1:port, to put in front of the real server. */
  readonly endpoint: string;
  readonly port: number;
  setMode(mode: FaultMode): void;
  /** Connections accepted since start (each one a touch of storage). */
  readonly connections: number;
  /** performance.now() of every accepted connection, in order. */
  readonly connectionTimes: readonly number[];
  /** Response bytes received from upstream (what storage served through this proxy). */
  readonly responseBytes: number;
  /** Resets done by the reset-after mode. */
  readonly resets: number;
  close(): Promise<void>;
}

/** Above this many queued response bytes the upstream is paused (the throttle's backpressure). */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * A loopback TCP proxy that injects storage faults between the service and s3rver. Written on
 * node:net: Toxiproxy (the maintained tool for this) needs its Go server, which cannot run here,
 * and the npm TCP proxies (tcp-proxy.js, node-tcp-proxy) forward only, with no fault hooks.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let mode: FaultMode = { kind: "pass" };
  let connections = 0;
  const connectionTimes: number[] = [];
  let resets = 0;
  let responseBytes = 0;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  /** Pieces stalled by "hang" on open connections, forwarded in order when the mode changes. */
  const stalled: Array<() => void> = [];

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Errors here are the faults themselves; the proxy only forwards their effect.
    socket.on("error", () => undefined);
  };

  const server = net.createServer((client) => {
    connections += 1;
    connectionTimes.push(performance.now());
    track(client);
    if (mode.kind === "refuse") {
      client.resetAndDestroy();
      return;
    }
    if (mode.kind === "hang") {
      client.resume();
      return;
    }
    const origin = net.connect(Number(target.port), target.hostname);
    track(origin);
    const hangUp = () => {
      client.destroy();
      origin.destroy();
    };
    client.on("close", hangUp);
    origin.on("close", hangUp);
    forward(client, origin, false);
    forward(origin, client, true);
  });

  /** Pipes one direction, applying the current mode to every piece as it arrives. */
  function forward(from: net.Socket, to: net.Socket, isResponse: boolean): void {
    let carried = 0;
    let queued = 0;
    let sendAt = 0;
    const onData = (piece: Buffer) => {
      const now = mode;
      if (now.kind === "hang") {
        from.pause();
        stalled.push(() => {
          if (!from.destroyed) from.resume();
          onData(piece);
        });
        return;
      }
      if (isResponse) responseBytes += piece.length;
      if (isResponse && now.kind === "reset-after" && (now.times === undefined || now.times > 0)) {
        if (carried + piece.length >= now.bytes) {
          const keep = piece.subarray(0, Math.max(0, now.bytes - carried));
          resets += 1;
          if (now.times !== undefined) mode = { ...now, times: now.times - 1 };
          to.write(keep, () => {
            to.resetAndDestroy();
            from.resetAndDestroy();
          });
          return;
        }
      }
      carried += piece.length;
      if (now.kind !== "slow") {
        if (!to.write(piece)) from.pause();
        return;
      }
      // Each piece leaves at arrival + latency, and not before the cap has paid for the one ahead.
      const arrival = performance.now() + (now.latencyMs ?? 0);
      const cost = isResponse && now.bytesPerSecond ? (1000 * piece.length) / now.bytesPerSecond : 0;
      sendAt = Math.max(arrival, sendAt) + cost;
      queued += piece.length;
      if (queued > MAX_QUEUED_BYTES) from.pause();
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          queued -= piece.length;
          if (!to.destroyed) to.write(piece);
          if (queued <= MAX_QUEUED_BYTES / 2 && !from.destroyed) from.resume();
        },
        Math.max(0, sendAt - performance.now()),
      );
      timers.add(timer);
    };
    from.on("data", onData);
    to.on("drain", () => from.resume());
    from.on("end", () => {
      if (queued === 0) to.end();
      else {
        const timer = setTimeout(() => to.end(), Math.max(0, sendAt - performance.now()) + 1);
        timers.add(timer);
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    connectionTimes,
    get responseBytes() {
      return responseBytes;
    },
    get resets() {
      return resets;
    },
    setMode(next) {
      mode = next;
      if (next.kind === "refuse") for (const socket of sockets) socket.resetAndDestroy();
      if (next.kind !== "hang") for (const release of stalled.splice(0)) release();
    },
    async close() {
      stalled.length = 0;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
