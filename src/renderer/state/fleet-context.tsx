import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import type { RbeeApi } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import { createFleetStore, type FleetState, type FleetStore } from "./fleet-store.js";

interface FleetContextValue {
  readonly api: RbeeApi;
  readonly store: FleetStore;
}

const FleetContext = createContext<FleetContextValue | null>(null);

/** Provides the transport and the event-fed fleet store to the views. */
export function FleetProvider({ api, children }: { readonly api: RbeeApi; readonly children: ReactNode }) {
  const value = useMemo(() => ({ api, store: createFleetStore(api) }), [api]);
  useEffect(() => value.store.start(), [value]);
  return <FleetContext.Provider value={value}>{children}</FleetContext.Provider>;
}

function useFleetContext(): FleetContextValue {
  const value = useContext(FleetContext);
  if (!value) throw new RbeeError("INTERNAL", "FleetProvider is missing above this component");
  return value;
}

/** The queen's API, for actions (add, remove, stop). */
export function useApi(): RbeeApi {
  return useFleetContext().api;
}

/** The latest pushed fleet snapshot; re-renders on every change. */
export function useFleet(): FleetState {
  const { store } = useFleetContext();
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
