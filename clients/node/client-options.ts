import type { ChannelOptions } from "@grpc/grpc-js";
import { CLIENT_CHANNEL_OPTIONS } from "../../src/download/client-transport";

/** How to reach the server. Defaults are merged once, in resolveClientOptions. */
export interface ClientOptions {
  /** Sent as `authorization: Bearer <key>` on every call. */
  readonly apiKey?: string;
  /** TLS to the server; `ca` (PEM) replaces the system roots, e.g. for a private CA. */
  readonly tls?: boolean | { readonly ca?: Buffer };
  /** Extra grpc-js channel options; they override the defaults below. */
  readonly channelOptions?: ChannelOptions;
}

export interface ResolvedClientOptions {
  readonly apiKey: string | undefined;
  readonly tls: false | { readonly ca: Buffer | undefined };
  readonly channelOptions: ChannelOptions;
}

/**
 * Keepalive inside the 30-60 s / 10 s band of DESIGN.md §6: often enough to notice a dead peer, rare
 * enough that the server's 10 s min_ping_interval never answers with ENHANCE_YOUR_CALM.
 */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  // The 16 MiB receive window and message limit the benchmarks chose (src/download/client-transport.ts).
  ...CLIENT_CHANNEL_OPTIONS,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
};

export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  const tls = options.tls === true ? { ca: undefined } : options.tls ? { ca: options.tls.ca } : false;
  return {
    apiKey: options.apiKey === "" ? undefined : options.apiKey,
    tls,
    channelOptions: { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions },
  };
}
