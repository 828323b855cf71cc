import { createServer } from "node:net";

/**
 * A port free on loopback right now, for processes that cannot report the port they bound
 * (Prometheus) or options where 0 means "off" (METRICS_PORT). Racy in principle; fine on loopback.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
