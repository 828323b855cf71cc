import type { Server, ServerUnaryCall, ServerWritableStream, sendUnaryData } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { service as healthDefinition } from "grpc-health-check";

export type ServingStatus = "SERVING" | "NOT_SERVING";

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus | "SERVICE_UNKNOWN";
}

/**
 * grpc.health.v1 (Check and Watch) on the package's own service definition. Written here rather
 * than taken from grpc-health-check's HealthImplementation because shutdown must end Watch
 * streams cleanly (that implementation keeps them open until the server is forced down).
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{
    service: string;
    call: ServerWritableStream<HealthRequest, HealthResponse>;
  }>();

  constructor(services: readonly string[], initial: ServingStatus) {
    for (const name of services) this.statuses.set(name, initial);
  }

  setStatus(service: string, serving: ServingStatus): void {
    this.statuses.set(service, serving);
    for (const watcher of this.watchers) {
      if (watcher.service === service) watcher.call.write({ status: serving });
    }
  }

  /** Ends every Watch stream with OK, after its last update (used at shutdown). */
  endWatches(): void {
    for (const { call } of this.watchers) call.end();
    this.watchers.clear();
  }

  addToServer(server: Server): void {
    server.addService(healthDefinition, {
      check: (
        call: ServerUnaryCall<HealthRequest, HealthResponse>,
        callback: sendUnaryData<HealthResponse>,
      ) => {
        const known = this.statuses.get(call.request.service);
        if (known) callback(null, { status: known });
        else callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
      },
      watch: (call: ServerWritableStream<HealthRequest, HealthResponse>) => {
        const watcher = { service: call.request.service, call };
        call.write({ status: this.statuses.get(watcher.service) ?? "SERVICE_UNKNOWN" });
        this.watchers.add(watcher);
        call.once("cancelled", () => this.watchers.delete(watcher));
      },
    });
  }
}
