import { useEffect, useState } from "react";
import type { RbeeApi } from "../../shared/contract/api.js";
import { useApi } from "./fleet-context.js";

/**
 * Asks the queen once for something a view shows (and again when `key` changes): `initial` until it
 * answers, `onError` if it cannot. An answer that comes after the view is gone is dropped.
 */
export function useApiValue<T>(key: string, load: (api: RbeeApi) => Promise<T>, initial: T, onError: T): T {
  const api = useApi();
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    let live = true;
    load(api).then(
      (found) => live && setValue(found),
      () => live && setValue(onError),
    );
    return () => {
      live = false;
    };
    // `load` and `onError` are fixed for a key: asking again on every render would loop.
  }, [api, key]);
  return value;
}
