import { createContext, useContext, useEffect, useMemo, type ReactNode } from "react";
import type { RbeeApi } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import { createChatStore, type ChatStore } from "./chat-store.js";
import type { ChatState } from "./conversations.js";
import { createFleetStore, fleetView, type FleetState, type FleetStore, type FleetView } from "./fleet-store.js";
import { createModelsStore, type ModelsState, type ModelsStore } from "./models-store.js";
import { createOperationsStore, type OperationsState, type OperationsStore } from "./operations-store.js";
import { useStore, useStoreSelector } from "./use-store.js";

interface FleetContextValue {
  readonly api: RbeeApi;
  readonly store: FleetStore;
  readonly operations: OperationsStore;
  readonly chat: ChatStore;
  readonly models: ModelsStore;
}

const FleetContext = createContext<FleetContextValue | null>(null);

/** Provides the transport, the event-fed fleet store, running installs/spawns, the chat and the fleet's models to the views. */
export function FleetProvider({ api, children }: { readonly api: RbeeApi; readonly children: ReactNode }) {
  const value = useMemo(() => {
    const store = createFleetStore(api);
    return {
      api,
      store,
      operations: createOperationsStore(api),
      chat: createChatStore({ api, storage: localStorageOrNull() }),
      models: createModelsStore(api, store),
    };
  }, [api]);
  useEffect(() => value.store.start(), [value]);
  useEffect(() => value.models.start(), [value]);
  useEffect(() => {
    // Streamed text is saved with a short delay: write it before the window goes away.
    const flush = (): void => value.chat.flush();
    window.addEventListener("pagehide", flush);
    return () => {
      window.removeEventListener("pagehide", flush);
      flush();
    };
  }, [value]);
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

/** The fleet as the queen last pushed it, its lists as arrays; re-renders on every change. */
export function useFleet(): FleetView {
  return fleetView(useStore(useFleetContext().store));
}

/**
 * One part of the fleet state; re-renders only when that part changes (`select` must answer the
 * same value for the same state: a field, a list, one item). The big tables and their rows read
 * the fleet through this, so that a change to one worker renders one row.
 */
export function useFleetSelector<T>(select: (state: FleetState) => T): T {
  return useStoreSelector(useFleetContext().store, select);
}

/** Installs and spawns started in this window, with their progress. */
export function useOperations(): { readonly state: OperationsState; readonly actions: OperationsStore } {
  const { operations } = useFleetContext();
  return { state: useStore(operations), actions: operations };
}

/** The conversations, and the chat's actions. */
export function useChat(): { readonly state: ChatState; readonly actions: ChatStore } {
  const { chat } = useFleetContext();
  return { state: useStore(chat), actions: chat };
}

/** Every node's models and the transfers started here; asks the queen for the listing on first use. */
export function useModels(): { readonly state: ModelsState; readonly actions: ModelsStore } {
  const { models } = useFleetContext();
  useEffect(() => models.load(), [models]);
  return { state: useStore(models), actions: models };
}

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
