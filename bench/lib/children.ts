import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoadMessage, ServerCommand, ServerMessage } from "./ipc";
import type { LoadTask } from "../load/tasks";

/** bench/*.js sit one level above this file once compiled. */
const BENCH_DIR = path.join(__dirname, "..");

export interface Child {
  readonly pid: number;
  readonly port: number;
  stats(): Promise<{ scans: number; rssBytes: number }>;
  stop(): Promise<void>;
}

/** Forks a server-like child (server-process, plain-http2-server, s3-process) and waits for its port. */
export function startChild(
  script: string,
  options: { args?: string[]; env?: Record<string, string>; execArgv?: string[] } = {},
): Promise<Child> {
  const child = fork(path.join(BENCH_DIR, script), options.args ?? [], {
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`${script} exited (${code}) before it was ready`));
    child.once("exit", onExit);
    child.once("error", reject);
    child.once("message", (message: ServerMessage) => {
      if (message.kind !== "ready") return reject(new Error(`${script}: unexpected ${message.kind}`));
      child.off("exit", onExit);
      resolve(wrap(child, message.port));
    });
  });
}

function wrap(child: ChildProcess, port: number): Child {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    pid: child.pid!,
    port,
    stats: () =>
      new Promise((resolve) => {
        child.once("message", (message: ServerMessage) => {
          if (message.kind === "stats") resolve({ scans: message.scans, rssBytes: message.rssBytes });
        });
        command(child, { kind: "stats" });
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        command(child, { kind: "stop" });
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

function command(child: ChildProcess, message: ServerCommand): void {
  child.send(message);
}

/** Runs one load task in a fresh process and returns what it reports. */
export function runLoad<R>(task: LoadTask): Promise<R> {
  const child = fork(path.join(BENCH_DIR, "load-process.js"), [JSON.stringify(task)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    child.once("message", (message: LoadMessage) => {
      settled = true;
      // The answer is all we need; do not wait for the process to wind down.
      child.kill();
      if (message.kind === "result") resolve(message.result as R);
      else reject(new Error(`load ${task.kind}: ${message.message}`));
    });
    child.once("exit", (code) => {
      if (!settled) reject(new Error(`load ${task.kind} exited (${code}) without a result`));
    });
  });
}

/** Resident set size of another process, from /proc (Linux), so sampling costs the server nothing. */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is 3rd, utime 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface RssSampler {
  /** Stops sampling; the peak and the samples taken. */
  stop(): { peakBytes: number; samples: number };
}

export function sampleRss(pid: number, intervalMs = 50): RssSampler {
  let peak = rssOf(pid);
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
      samples += 1;
    } catch {
      // The process ended; keep what we have.
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakBytes: peak, samples };
    },
  };
}
