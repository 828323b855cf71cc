import { CircuitState } from "cockatiel";
import type { ServingStatus } from "../server/health-service";
import type { StoragePolicyEvents } from "./resilient-object-store";

/**
 * Health name that follows the storage breaker: NOT_SERVING while it is open. "" and the
 * DownloadService name do NOT follow it: every pod shares one storage, so an Envoy health check
 * on them would eject every pod at once and clients would lose the fast UNAVAILABLE +
 * retry-after-ms answer. This name is for dashboards and alerts, not for load balancing.
 */
export const STORAGE_HEALTH_SERVICE = "delineate.v1.Storage";

/** Feeds breaker state changes to a health status setter (bound once the server exists). */
export function storageHealthEvents(
  setStatus: () => ((status: ServingStatus) => void) | undefined,
): Pick<StoragePolicyEvents, "onCircuitStateChange"> {
  return {
    onCircuitStateChange(state) {
      setStatus()?.(state === CircuitState.Open ? "NOT_SERVING" : "SERVING");
    },
  };
}
