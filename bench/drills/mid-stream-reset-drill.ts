import { status } from "@grpc/grpc-js";
import { collectDownload, downloadRequest } from "../../test/support/collect";
import { makeFile, sha256 } from "../../test/support/files";
import { startStorageLab } from "../../test/support/storage-lab";
import type { DrillResult } from "./drill-result";

/**
 * Every storage connection is reset after `resetAfterBytes` of response, during the scan and the
 * download alike: the client must still get one contiguous stream with the right sha256.
 */
export async function midStreamResetDrill(options: {
  readonly fileBytes: number;
  readonly resetAfterBytes: number;
}): Promise<DrillResult> {
  const file = makeFile(41_001, options.fileBytes);
  const lab = await startStorageLab({ files: [file], env: { DOWNLOAD_DELAY_ENABLED: "false" } });
  try {
    const proxy = lab.proxies[0]!;
    proxy.setMode({ kind: "reset-after", bytes: options.resetAfterBytes });
    const result = await collectDownload(lab.server.client(), downloadRequest(file.fileId));
    let contiguous = true;
    let offset = 0;
    for (const { message } of result.messages) {
      if (message.event?.$case !== "chunk") continue;
      contiguous &&= message.event.value.offset === offset;
      offset += message.event.value.data.length;
    }
    const last = result.messages.at(-1)?.message.event;
    const completeSha = last?.$case === "complete" ? last.value.sha256 : "";
    const verified =
      result.status.code === status.OK && sha256(result.bytes) === file.sha256 && completeSha === file.sha256;
    const pass = verified && contiguous && proxy.resets > 0;
    return {
      drill: "connection reset mid-stream",
      expected: "download completes, one contiguous stream, right sha256",
      observed:
        `${proxy.resets} storage resets (every ${Math.round(options.resetAfterBytes / 1024)} KiB); ` +
        `status ${status[result.status.code]}; chunks ${contiguous ? "contiguous" : "NOT contiguous"}; ` +
        `sha256 ${verified ? "matches" : "DIFFERS"}`,
      bytesVerified: verified ? result.bytes.length : 0,
      pass,
    };
  } finally {
    await lab.close();
  }
}
