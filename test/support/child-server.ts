import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { SERVER_NODE_FLAGS } from "../../src/server/node-flags";

export const MAIN = path.resolve(__dirname, "..", "..", "src", "main.js");
/** The production command line: `node <SERVER_NODE_FLAGS> -r …/tracing.js main.js` (tracing before grpc-js). */
export const TRACING_PRELOAD = path.resolve(__dirname, "..", "..", "src", "observability", "tracing.js");

export interface ChildServer {
  readonly process: ChildProcess;
  readonly port: number;
  readonly address: string;
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The real entry point (dist/src/main.js) in its own process; with `preload`, exactly as
 * `npm start` runs it (tracing loaded with -r before anything else).
 */
export async function startChildServer(
  env: Record<string, string>,
  options: { preload?: boolean } = {},
): Promise<ChildServer> {
  const args = options.preload ? [...SERVER_NODE_FLAGS, "-r", TRACING_PRELOAD, MAIN] : [MAIN];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, GRPC_HOST: "127.0.0.1", GRPC_PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.message === "listening") resolve(entry.port as number);
      } catch {
        logs.push({ raw: line });
      }
    });
    void exited.then(({ code }) => reject(new Error(`server exited early with code ${code}`)));
  });
  child.stderr.resume();
  return { process: child, port, address: `127.0.0.1:${port}`, logs, exited };
}
