import { readFileSync } from "node:fs";
import { ServerCredentials } from "@grpc/grpc-js";
import type { TlsConfig } from "../config/security-config";

/** Plaintext, TLS, or mTLS (a client CA given: client certificates required and verified against it). */
export function serverCredentials(tls: TlsConfig | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCaFile === undefined ? null : readFileSync(tls.clientCaFile);
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    clientCa !== null,
  );
}
