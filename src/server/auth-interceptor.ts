import { ServerInterceptingCall, status, type ServerInterceptor } from "@grpc/grpc-js";
import type { ApiKeys } from "./api-keys";

const DOWNLOAD_SERVICE = "/delineate.v1.DownloadService/";
const REFLECTION = /^\/grpc\.reflection\.v1(alpha)?\.ServerReflection\//;

export interface AuthOptions {
  readonly keys: ApiKeys;
  readonly reflectionRequiresKey: boolean;
}

/**
 * Requires a valid API key for DownloadService (and reflection, if configured); health stays
 * open for probes. Runs before the request message is read, so auth is checked first.
 */
export function createAuthInterceptor(options: AuthOptions): ServerInterceptor {
  const needsKey = (path: string) =>
    path.startsWith(DOWNLOAD_SERVICE) || (options.reflectionRequiresKey && REFLECTION.test(path));
  return (method, call) => {
    if (!options.keys.enabled || !needsKey(method.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            if (options.keys.accepts(metadata)) proceed(metadata);
            else call.sendStatus({ code: status.UNAUTHENTICATED, details: "missing or invalid API key" });
          },
        }),
    });
  };
}
