import { status } from "@grpc/grpc-js";
import { collectDownload, downloadRequest, statuses } from "../../test/support/collect";
import { makeFile, sha256 } from "../../test/support/files";
import { startStorageLab } from "../../test/support/storage-lab";
import type { DrillResult } from "./drill-result";

/**
 * A client whose deadline is shorter than the processing: its call ends DEADLINE_EXCEEDED, the
 * job carries on, and the retry reattaches to the same job; the file is scanned once.
 */
export async function shortDeadlineDrill(options: {
  readonly processingMs: number;
  readonly deadlineMs: number;
}): Promise<DrillResult> {
  const file = makeFile(43_001, 1024 * 1024);
  const scans: number[] = [];
  const lab = await startStorageLab({
    files: [file],
    env: {
      DOWNLOAD_DELAY_MIN_MS: String(options.processingMs),
      DOWNLOAD_DELAY_MAX_MS: String(options.processingMs),
      HEARTBEAT_INTERVAL_MS: "100",
    },
    onScan: (fileId) => scans.push(fileId),
  });
  try {
    const client = lab.server.client();
    const first = await collectDownload(client, downloadRequest(file.fileId), {
      callOptions: { deadline: Date.now() + options.deadlineMs },
    });
    const firstJob = statuses(first)[0]?.jobId ?? "";
    const retry = await collectDownload(client, downloadRequest(file.fileId));
    const retryStatus = statuses(retry)[0];
    const verified = retry.status.code === status.OK && sha256(retry.bytes) === file.sha256;
    const reattached =
      retryStatus?.joinedExistingJob === true && retryStatus.jobId === firstJob && firstJob !== "";
    const pass =
      first.status.code === status.DEADLINE_EXCEEDED && reattached && verified && scans.length === 1;
    return {
      drill: "client deadline shorter than processing",
      expected: "job finishes; the retry reattaches to the same job; one scan",
      observed:
        `first call ${status[first.status.code]} after ${options.deadlineMs} ms of ${options.processingMs} ms processing; ` +
        `retry ${reattached ? "reattached to the same job" : "did NOT reattach"}, ${status[retry.status.code]}; ` +
        `scans: ${scans.length}`,
      bytesVerified: verified ? retry.bytes.length : 0,
      pass,
    };
  } finally {
    await lab.close();
  }
}
