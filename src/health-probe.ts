import { Client, credentials, type ChannelCredentials } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { loadConfig, type Config } from "./config/config";

/** The container's health check: the local server's grpc.health.v1 answer, as an exit code. */
const TIMEOUT_MS = 3_000;

function channelCredentials(config: Config): ChannelCredentials {
  if (!config.tls) return credentials.createInsecure();
  // Loopback liveness, not authenticity: the server's certificate is not verified here.
  return credentials.createSsl(null, null, null, { rejectUnauthorized: false });
}

/** `node dist/src/health-probe.js [service]`: exit 0 when SERVING, 1 otherwise (Docker HEALTHCHECK). */
function probe(serviceName: string): Promise<boolean> {
  const config = loadConfig();
  const host = config.grpcHost === "0.0.0.0" || config.grpcHost === "::" ? "127.0.0.1" : config.grpcHost;
  const client = new Client(`${host}:${config.grpcPort}`, channelCredentials(config));
  const check = healthService.Check!;
  return new Promise<boolean>((resolve) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service: serviceName },
      { deadline: Date.now() + TIMEOUT_MS },
      (error, response) => {
        client.close();
        const status = (response as { status?: string } | undefined)?.status;
        process.stdout.write(error ? `health: ${error.message}\n` : `health: ${String(status)}\n`);
        resolve(!error && status === "SERVING");
      },
    );
  });
}

probe(process.argv[2] ?? "").then(
  (serving) => process.exit(serving ? 0 : 1),
  (error: unknown) => {
    process.stdout.write(`health: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
