import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { DownloadEvent } from "../node";
import { formatBytes, formatEta, formatRate, phaseName } from "./format";
import type { ProgressView } from "./progress-view";

interface Row {
  readonly bar: SingleBar;
  /** "percent" while the file is prepared (0..100), "bytes" while it is transferred. */
  unit: "percent" | "bytes";
}

/** One bar per file on a terminal: phase, percent and ETA while processing; bytes, rate and ETA after. */
export class BarView implements ProgressView {
  private readonly bars: MultiBar;
  private readonly rows = new Map<number, Row>();

  constructor(stream: NodeJS.WritableStream) {
    this.bars = new MultiBar(
      {
        stream,
        format: "{id} |{bar}| {label}",
        hideCursor: true,
        clearOnComplete: false,
        // The server's ETA and our rate are better than cli-progress's own estimate.
        etaBuffer: 1,
        fps: 8,
      },
      Presets.shades_classic,
    );
  }

  onEvent(event: DownloadEvent): void {
    const row = this.row(event.fileId);
    switch (event.type) {
      case "resume":
        return row.bar.update({ label: `resuming from ${formatBytes(event.offset)}` });
      case "status": {
        if (row.unit === "bytes") return;
        const label = `${phaseName(event.phase)} ${event.progressPercent}% eta ${formatEta(event.etaMs)}`;
        return row.bar.update(event.progressPercent, { label });
      }
      case "metadata":
        row.unit = "bytes";
        row.bar.setTotal(Math.max(event.sizeBytes, 1));
        return row.bar.update(event.readOffset, { label: `transfer 0 B/${formatBytes(event.sizeBytes)}` });
      case "progress": {
        const label = `${formatBytes(event.bytes)}/${formatBytes(event.totalBytes)} ${formatRate(event.bytesPerSecond)} eta ${formatEta(event.etaMs)}`;
        return row.bar.update(event.bytes, { label });
      }
      case "retry":
        return row.bar.update({ label: `retry in ${(event.delayMs / 1000).toFixed(1)}s (${event.reason})` });
      case "complete":
        row.bar.update(Math.max(event.sizeBytes, 1), {
          label: `done ${formatBytes(event.sizeBytes)}, sha256 verified`,
        });
        return row.bar.stop();
    }
  }

  failed(fileId: number, message: string): void {
    const row = this.row(fileId);
    row.bar.update({ label: `failed: ${message}` });
    row.bar.stop();
  }

  stop(): void {
    this.bars.stop();
  }

  private row(fileId: number): Row {
    let row = this.rows.get(fileId);
    if (!row) {
      row = { bar: this.bars.create(100, 0, { id: fileId, label: "starting" }), unit: "percent" };
      this.rows.set(fileId, row);
    }
    return row;
  }
}
