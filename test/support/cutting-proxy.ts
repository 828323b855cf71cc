import net from "node:net";

export interface CuttingProxyOptions {
  /** host:port of the real server. */
  readonly target: string;
  /**
   * For the n-th connection (0-based), cut it once this many bytes went server → client;
   * connections past the list are passed through untouched.
   */
  readonly cutAfterBytes: readonly number[];
  /** Instead of closing, stop forwarding (a silent stream) and keep the sockets open. */
  readonly stall?: boolean;
}

export interface CuttingProxy {
  readonly address: string;
  /** Connections made so far. */
  readonly connections: number;
  /** Connections cut (or stalled) so far. */
  readonly cuts: number;
  /** New connections go to this server from now on (a restarted server on another port). */
  setTarget(target: string): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy that injects a real fault: it resets the client's connection mid-stream (or goes
 * silent) after a byte count, like a load balancer or a NAT dropping a long download.
 */
export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  let [host, port] = splitAddress(options.target);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let cuts = 0;
  const server = net.createServer((client) => {
    const limit = options.cutAfterBytes[connections++];
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A reset is the point of this proxy; errors on either side just end the pair.
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    let sent = 0;
    let cut = false;
    upstream.on("data", (data: Buffer) => {
      if (cut) return;
      if (limit !== undefined && sent + data.length >= limit) {
        cut = true;
        cuts++;
        client.write(data.subarray(0, Math.max(0, limit - sent)));
        if (options.stall) return;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      sent += data.length;
      if (!client.write(data)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    upstream.on("end", () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: listening } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${listening}`,
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    setTarget(target: string) {
      [host, port] = splitAddress(target);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
