import { randomUUID } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";

export const REQUEST_ID_HEADER = "x-request-id";

/** What we accept from a caller (or Envoy): short, printable, no spaces; anything else is replaced. */
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when sane, otherwise a new UUID. */
export function requestIdFrom(metadata: Metadata): string {
  const given = metadata.get(REQUEST_ID_HEADER)[0];
  return typeof given === "string" && SANE.test(given) ? given : randomUUID();
}
