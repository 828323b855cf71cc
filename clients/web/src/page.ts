import { DownloadPhase } from "../../../src/gen/delineate/v1/download_service";
import { downloadInBrowser, type WebDownloadEvent } from "./web-download";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const PHASE_LABEL: Record<number, string> = {
  [DownloadPhase.DOWNLOAD_PHASE_QUEUED]: "queued",
  [DownloadPhase.DOWNLOAD_PHASE_PROCESSING]: "processing",
  [DownloadPhase.DOWNLOAD_PHASE_READY]: "ready",
  [DownloadPhase.DOWNLOAD_PHASE_DRAINING]: "reconnecting",
};

/** The gRPC-Web endpoint: this page's origin unless ?server= says otherwise. */
const server = new URLSearchParams(location.search).get("server") ?? location.origin;

function showPhase(name: string): void {
  $("phase").textContent = name;
  const list = $("phases");
  const last = list.lastElementChild;
  if (last?.textContent === name) return;
  last?.classList.remove("current");
  const item = document.createElement("li");
  item.textContent = name;
  item.className = "current";
  list.append(item);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function eta(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? "" : `about ${Math.ceil(ms / 1000)} s left`;
}

function onEvent(event: WebDownloadEvent): void {
  const bar = $<HTMLProgressElement>("bar");
  switch (event.type) {
    case "status":
      showPhase(PHASE_LABEL[event.phase] ?? "waiting");
      bar.max = 100;
      bar.value = event.percent;
      $("percent").textContent = `${event.percent}%`;
      $("eta").textContent = eta(event.etaMs);
      return;
    case "metadata":
      showPhase("transferring");
      bar.max = Math.max(event.sizeBytes, 1);
      bar.value = event.readOffset;
      $("percent").textContent = "";
      return;
    case "progress": {
      bar.value = event.bytes;
      $("percent").textContent = `${Math.floor((event.bytes * 100) / Math.max(event.totalBytes, 1))}%`;
      $("bytes").textContent = `${bytes(event.bytes)} of ${bytes(event.totalBytes)}`;
      $("rate").textContent = `${bytes(Math.round(event.bytesPerSecond))}/s`;
      const left = event.totalBytes - event.bytes;
      $("eta").textContent = event.bytesPerSecond > 0 ? eta((left * 1000) / event.bytesPerSecond) : "";
      return;
    }
    case "retry":
      showPhase("reconnecting");
      $("result").textContent =
        `Connection lost; resuming at ${bytes(event.resumeOffset)} in ${(event.delayMs / 1000).toFixed(1)} s`;
      return;
    case "verifying":
      showPhase("verifying");
      $("eta").textContent = "";
      return;
    case "complete":
      showPhase("verified");
      return;
  }
}

async function start(fileId: number, apiKey: string): Promise<void> {
  const button = $<HTMLButtonElement>("download");
  const result = $("result");
  const save = $<HTMLAnchorElement>("save");
  button.disabled = true;
  save.hidden = true;
  $("phases").replaceChildren();
  result.className = "";
  result.textContent = "";
  showPhase("connecting");
  try {
    const { blob, sha256 } = await downloadInBrowser(server, fileId, {
      onEvent,
      apiKey: apiKey || undefined,
    });
    result.className = "ok";
    result.innerHTML = "";
    result.append(
      `Verified ${bytes(blob.size)}, sha256 `,
      Object.assign(document.createElement("code"), { textContent: sha256 }),
    );
    if (save.href) URL.revokeObjectURL(save.href);
    save.href = URL.createObjectURL(blob);
    save.download = `${fileId}.zip`;
    save.textContent = `Save ${fileId}.zip`;
    save.hidden = false;
  } catch (error) {
    showPhase("failed");
    result.className = "error";
    result.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    button.disabled = false;
  }
}

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const raw = $<HTMLInputElement>("file-id").value.trim();
  const fileId = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(fileId)) {
    $("result").className = "error";
    $("result").textContent = "A file id is a whole number, e.g. 10000.";
    return;
  }
  void start(fileId, $<HTMLInputElement>("api-key").value.trim());
});
