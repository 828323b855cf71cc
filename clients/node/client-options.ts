import type { ChannelOptions } from "@grpc/grpc-js";

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

/** 16 MiB: with the 64 KiB HTTP/2 default one stream tops out far below the wire (see the benchmarks). */
export const DEFAULT_FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

/**
 * Keepalive inside the 30-60 s / 10 s band of DESIGN.md §6: often enough to notice a dead peer, rare
 * enough that the server's 10 s min_ping_interval never answers with ENHANCE_YOUR_CALM.
 */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc-node.flow_control_window": DEFAULT_FLOW_CONTROL_WINDOW,
  // A chunk is at most 1 MiB plus framing.
  "grpc.max_receive_message_length": 4 * 1024 * 1024,
};

export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  const tls = options.tls === true ? { ca: undefined } : options.tls ? { ca: options.tls.ca } : false;
  return {
    apiKey: options.apiKey === "" ? undefined : options.apiKey,
    tls,
    channelOptions: { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions },
  };
}
