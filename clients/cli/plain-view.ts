import type { DownloadEvent } from "../node";
import { formatBytes, formatEta, formatRate, phaseName } from "./format";
import type { ProgressView } from "./progress-view";

/** One line per step, for logs and pipes: phase changes always, progress at most once per interval. */
export class PlainView implements ProgressView {
  private readonly lastLine = new Map<number, { at: number; key: string }>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  onEvent(event: DownloadEvent): void {
    const id = event.fileId;
    switch (event.type) {
      case "resume":
        return this.line(id, "resume", `resume from ${event.offset} bytes held in the .part file`, true);
      case "status": {
        const phase = phaseName(event.phase);
        const text =
          phase === "ready"
            ? "ready"
            : `${phase} ${event.progressPercent}% eta ${formatEta(event.etaMs)}${event.joinedExistingJob ? " (joined a running job)" : ""}`;
        return this.line(id, phase, text, false);
      }
      case "metadata":
        return this.line(
          id,
          "metadata",
          `size ${formatBytes(event.sizeBytes)} from offset ${event.readOffset}`,
          true,
        );
      case "progress": {
        // The metadata line already said where the transfer starts.
        if (event.bytesPerSecond === 0 && event.bytes < event.totalBytes) return;
        const percent = event.totalBytes === 0 ? 100 : Math.floor((event.bytes * 100) / event.totalBytes);
        const text = `transfer ${formatBytes(event.bytes)}/${formatBytes(event.totalBytes)} ${percent}% ${formatRate(event.bytesPerSecond)} eta ${formatEta(event.etaMs)}`;
        return this.line(id, "transfer", text, event.bytes === event.totalBytes);
      }
      case "retry":
        return this.line(
          id,
          "retry",
          `retry in ${(event.delayMs / 1000).toFixed(1)}s from ${event.resumeOffset} bytes: ${event.reason} ${event.detail}`,
          true,
        );
      case "complete":
        return this.line(
          id,
          "done",
          `done ${formatBytes(event.sizeBytes)} sha256 ${event.sha256} verified -> ${event.path ?? "stream"}`,
          true,
        );
    }
  }

  failed(fileId: number, message: string): void {
    this.err.write(`${fileId} failed: ${message}\n`);
  }

  stop(): void {}

  /** A new kind of line always prints; the same kind again only after the interval. */
  private line(fileId: number, key: string, text: string, always: boolean): void {
    const now = this.now();
    const last = this.lastLine.get(fileId);
    if (!always && last?.key === key && now - last.at < this.intervalMs) return;
    this.lastLine.set(fileId, { at: now, key });
    this.out.write(`${fileId} ${text}\n`);
  }
}
