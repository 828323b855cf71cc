import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { EnvReader } from "./env-reader";

/** TLS on the gRPC port; with a client CA, client certificates are required and verified (mTLS). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | undefined;
}

/** The contents of a file a variable names, or a problem naming the variable (never the contents). */
function readFile(r: EnvReader, name: string): { path: string; text: string } | undefined {
  const path = r.string(name, "");
  if (path === "") return undefined;
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    r.problem(name, `must name a readable file, got "${path}" (${code})`);
    return undefined;
  }
}

/**
 * API_KEYS_FILE: one key per line; blank lines and lines starting with # are ignored.
 * A file that yields no key is a problem: it would silently turn authentication off.
 */
export function readApiKeysFile(r: EnvReader): string[] {
  const file = readFile(r, "API_KEYS_FILE");
  if (!file) return [];
  const keys: string[] = [];
  file.text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (/\s/.test(line)) r.problem("API_KEYS_FILE", `line ${i + 1}: a key must not contain whitespace`);
    else keys.push(line);
  });
  if (keys.length === 0) r.problem("API_KEYS_FILE", `"${file.path}" holds no key`);
  return keys;
}

/** TLS_CERT_FILE + TLS_KEY_FILE (together), TLS_CLIENT_CA_FILE optional; all parsed to fail at start-up. */
export function readTlsConfig(r: EnvReader): TlsConfig | undefined {
  const cert = readFile(r, "TLS_CERT_FILE");
  const key = readFile(r, "TLS_KEY_FILE");
  const ca = readFile(r, "TLS_CLIENT_CA_FILE");
  const named = (name: string) => r.string(name, "") !== "";
  if (named("TLS_CERT_FILE") !== named("TLS_KEY_FILE")) {
    r.problem(
      named("TLS_CERT_FILE") ? "TLS_KEY_FILE" : "TLS_CERT_FILE",
      "is required with the other TLS file",
    );
  }
  if (named("TLS_CLIENT_CA_FILE") && !(named("TLS_CERT_FILE") && named("TLS_KEY_FILE"))) {
    r.problem(
      "TLS_CLIENT_CA_FILE",
      "needs TLS_CERT_FILE and TLS_KEY_FILE (mTLS is TLS plus client certificates)",
    );
  }
  if (!cert || !key) return undefined;
  let certificate: X509Certificate | undefined;
  try {
    certificate = new X509Certificate(cert.text);
  } catch {
    r.problem("TLS_CERT_FILE", `"${cert.path}" is not a PEM certificate`);
  }
  try {
    const privateKey = createPrivateKey(key.text);
    if (certificate && !certificate.checkPrivateKey(privateKey)) {
      r.problem("TLS_KEY_FILE", "does not match the certificate in TLS_CERT_FILE");
    }
  } catch {
    r.problem("TLS_KEY_FILE", `"${key.path}" is not a PEM private key`);
  }
  if (ca) {
    try {
      new X509Certificate(ca.text);
    } catch {
      r.problem("TLS_CLIENT_CA_FILE", `"${ca.path}" is not a PEM certificate`);
    }
  }
  return { certFile: cert.path, keyFile: key.path, clientCaFile: ca?.path };
}
