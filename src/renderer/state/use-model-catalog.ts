import { useEffect, useState } from "react";
import type { RbeeApi } from "../../shared/contract/api.js";
import type { CatalogModel } from "../../shared/contract/model-catalog.js";
import { useApi } from "./fleet-context.js";

// One request per window: the pickers and the chat's empty state share the queen's answer.
const asked = new WeakMap<RbeeApi, Promise<readonly CatalogModel[]>>();

function catalogOf(api: RbeeApi): Promise<readonly CatalogModel[]> {
  let answer = asked.get(api);
  if (!answer) {
    answer = api.modelCatalog({}).then((body) => body.models);
    // A failure is not kept: the next view that asks tries again.
    answer.catch(() => asked.delete(api));
    asked.set(api, answer);
  }
  return answer;
}

/** The models the queen offers to start with; null until it answers (or if it cannot). */
export function useModelCatalog(): readonly CatalogModel[] | null {
  const api = useApi();
  const [catalog, setCatalog] = useState<readonly CatalogModel[] | null>(null);
  useEffect(() => {
    let live = true;
    catalogOf(api).then(
      (models) => live && setCatalog(models),
      () => live && setCatalog(null),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return catalog;
}
