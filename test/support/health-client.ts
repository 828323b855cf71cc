import {
  makeGenericClientConstructor,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  type Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { service } from "grpc-health-check";

// grpc.health.v1.HealthCheckResponse.ServingStatus
const NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

export function servingStatusName(value: number | string): string {
  return typeof value === "string" ? value : (NAMES[value] ?? String(value));
}

interface HealthClientShape extends Client {
  check(
    request: { service: string },
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response?: { status: number | string }) => void,
  ): void;
  check(
    request: { service: string },
    callback: (error: ServiceError | null, response?: { status: number | string }) => void,
  ): void;
  watch(request: { service: string }): ClientReadableStream<{ status: number }>;
}

/** A grpc.health.v1 client from the package's own service definition (as grpc_health_probe speaks it). */
export const HealthClient = makeGenericClientConstructor(service, "grpc.health.v1.Health") as unknown as new (
  address: string,
  credentials: ChannelCredentials,
) => HealthClientShape;
