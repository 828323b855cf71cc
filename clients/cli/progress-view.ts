import type { DownloadEvent } from "../node";

/** How the CLI shows downloads: bars on a terminal, plain lines otherwise. */
export interface ProgressView {
  onEvent(event: DownloadEvent): void;
  failed(fileId: number, message: string): void;
  stop(): void;
}
