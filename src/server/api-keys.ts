import { createHash, timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";

export type PresentedKey =
  { readonly kind: "none" } | { readonly kind: "conflict" } | { readonly kind: "key"; readonly key: string };

const BEARER = /^bearer\s+(\S+)\s*$/i;

/** The key a call presents: `authorization: Bearer <key>` (scheme case-insensitive) or `x-api-key`. */
export function presentedKey(metadata: Metadata): PresentedKey {
  const auth = metadata.get("authorization")[0];
  const bearer = typeof auth === "string" ? BEARER.exec(auth)?.[1] : undefined;
  const header = metadata.get("x-api-key")[0];
  const apiKey = typeof header === "string" && header.trim() !== "" ? header.trim() : undefined;
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey) return { kind: "conflict" };
  const key = bearer ?? apiKey;
  return key === undefined ? { kind: "none" } : { kind: "key", key };
}

/** Compares presented keys with the configured ones in constant time (digests, every key). */
export class ApiKeys {
  private readonly digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  accepts(metadata: Metadata): boolean {
    const presented = presentedKey(metadata);
    if (presented.kind !== "key") return false;
    const candidate = digest(presented.key);
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(candidate, known) || match;
    return match;
  }
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/** A short, non-reversible name for a key, for logs and limits (never the key itself). */
export function keyFingerprint(key: string): string {
  return `key:${digest(key).toString("hex").slice(0, 12)}`;
}
