import { useSyncExternalStore } from "react";

/** The views reachable from the sidebar. */
export const ROUTES = ["nodes", "workers", "chat", "models"] as const;
export type Route = (typeof ROUTES)[number];

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

function current(): Route {
  const name = window.location.hash.replace(/^#\/?/, "");
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : "nodes";
}

/** The view in the address bar (`#/workers`), so that reload and back/forward keep the place. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current);
}

/** The link to a view. */
export function routeHref(route: Route): string {
  return `#/${route}`;
}
