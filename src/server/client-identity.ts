import type { Metadata } from "@grpc/grpc-js";
import { keyFingerprint, presentedKey } from "./api-keys";

export interface ClientIdentityOptions {
  readonly authEnabled: boolean;
  readonly trustProxy: boolean;
}

/**
 * Who a call is, for the per-client stream cap: the API key when auth is on, else the peer IP
 * (no port). Behind a trusted proxy, the right-most x-forwarded-for entry (the one it appended).
 */
export function clientIdentity(metadata: Metadata, peer: string, options: ClientIdentityOptions): string {
  if (options.authEnabled) {
    const presented = presentedKey(metadata);
    if (presented.kind === "key") return keyFingerprint(presented.key);
  }
  if (options.trustProxy) {
    const forwarded = metadata
      .get("x-forwarded-for")
      .flatMap((value) => String(value).split(","))
      .map((part) => part.trim())
      .filter((part) => part !== "");
    const last = forwarded.at(-1);
    if (last !== undefined) return `ip:${last}`;
  }
  return `ip:${peerAddress(peer)}`;
}

/** "1.2.3.4:5678" → "1.2.3.4"; "[::1]:5678" → "::1"; "ipv4:…" prefixes dropped. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, "");
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (v6?.[1] !== undefined) return v6[1];
  const v4 = /^([^:]+):\d+$/.exec(bare);
  return v4?.[1] ?? bare;
}
