/** Messages between the bench runner and its child processes (Node IPC, JSON). */
export type ServerMessage =
  | { readonly kind: "ready"; readonly port: number }
  | { readonly kind: "stats"; readonly scans: number; readonly rssBytes: number };

export type ServerCommand = { readonly kind: "stats" } | { readonly kind: "stop" };

export type LoadMessage =
  | { readonly kind: "result"; readonly result: unknown }
  | { readonly kind: "error"; readonly message: string };

export function send(message: ServerMessage | LoadMessage): void {
  process.send?.(message);
}
