import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { assertNever } from "../shared/contract/errors.js";
import { forgetToken, type ApiSelection } from "./api/select-api.js";
import { ConnectionIndicator } from "./components/connection-indicator.js";
import { ChatIcon, CpuIcon, LogoIcon, ModelsIcon, ServerIcon } from "./components/icons.js";
import { NoticeProvider } from "./components/notices.js";
import { globalShortcut, modifierLabel, VIEW_ORDER } from "./lib/shortcuts.js";
import { routeHref, useRoute, type Route } from "./lib/use-route.js";
import { FleetProvider, useFleetSelector } from "./state/fleet-context.js";
import { ModelsView } from "./views/models/models-view.js";
import { NodesView } from "./views/nodes/nodes-view.js";
import { TokenScreen } from "./views/token/token-screen.js";
import { WorkersView } from "./views/workers/workers-view.js";

// The chat brings the markdown and highlighting code: loaded when first opened.
const ChatView = lazy(() => import("./views/chat/chat-view.js").then((module) => ({ default: module.ChatView })));

/** The renderer's root: a transport, or the screen that explains how to get one. */
export function App({ selection }: { readonly selection: ApiSelection }) {
  switch (selection.kind) {
    case "missing-token":
      return <TokenScreen origin={selection.origin} reason="missing" />;
    case "http":
      return (
        <FleetProvider api={selection.api}>
          <Shell target={new URL(selection.baseUrl).host} origin={selection.baseUrl} />
        </FleetProvider>
      );
    case "ipc":
      return (
        <FleetProvider api={selection.api}>
          <Shell target="built-in queen" origin={null} />
        </FleetProvider>
      );
    default:
      return assertNever(selection);
  }
}

function Shell({ target, origin }: { readonly target: string; readonly origin: string | null }) {
  // Parts of the fleet, not all of it: a change to one worker must not render the whole window.
  const connection = useFleetSelector((fleet) => fleet.connection);
  const nodeCount = useFleetSelector((fleet) => fleet.nodes?.size);
  const workerCount = useFleetSelector((fleet) => fleet.workers?.size);
  const route = useRoute();

  useEffect(() => {
    if (connection === "unauthorized") forgetToken();
  }, [connection]);

  // Ctrl/Cmd+1…4 switch views from anywhere, even while typing.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const shortcut = globalShortcut(event);
      if (!shortcut) return;
      event.preventDefault();
      window.location.hash = routeHref(shortcut.route);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const mod = modifierLabel(navigator.platform);

  if (connection === "unauthorized" && origin !== null) return <TokenScreen origin={origin} reason="refused" />;

  return (
    <NoticeProvider>
      <div className="flex h-dvh flex-col">
        <header className="flex h-12 shrink-0 items-center gap-3 border-b border-zinc-200 bg-white px-4 dark:border-zinc-800 dark:bg-zinc-900">
          <div className="flex items-center gap-2">
            <LogoIcon className="size-6 text-amber-500" />
            <span className="font-semibold tracking-tight">rbee</span>
            <span className="hidden text-sm text-zinc-400 sm:inline dark:text-zinc-500">control center</span>
          </div>
          <div className="ml-auto">
            <ConnectionIndicator state={connection} target={target} />
          </div>
        </header>
        <div className="flex min-h-0 flex-1">
          <nav
            aria-label="Main"
            className="flex w-48 shrink-0 flex-col gap-0.5 border-r border-zinc-200 bg-zinc-100/60 p-2 dark:border-zinc-800 dark:bg-zinc-900/50"
          >
            <NavLink route="nodes" active={route} icon={<ServerIcon className="size-4" />} count={nodeCount} mod={mod}>
              Nodes
            </NavLink>
            <NavLink route="workers" active={route} icon={<CpuIcon className="size-4" />} count={workerCount} mod={mod}>
              Workers
            </NavLink>
            <NavLink route="chat" active={route} icon={<ChatIcon className="size-4" />} count={undefined} mod={mod}>
              Chat
            </NavLink>
            <NavLink route="models" active={route} icon={<ModelsIcon className="size-4" />} count={undefined} mod={mod}>
              Models
            </NavLink>
            <p className="mt-auto px-2.5 pb-1 text-[11px] text-zinc-400 dark:text-zinc-500">
              <kbd className="kbd text-[10.5px]">{mod}</kbd> <kbd className="kbd text-[10.5px]">1</kbd>–
              <kbd className="kbd text-[10.5px]">4</kbd> switch views
            </p>
          </nav>
          {route === "chat" ? (
            <main className="min-w-0 flex-1 overflow-hidden">
              <Suspense fallback={null}>
                <ChatView />
              </Suspense>
            </main>
          ) : (
            // Strictly contained: what changes in a view (a table row) is laid out and painted within it, never the header or the navigation.
            <main className="min-w-0 flex-1 overflow-auto contain-strict">
              <div className="mx-auto max-w-6xl px-6 py-5">
                <RouteView route={route} />
              </div>
            </main>
          )}
        </div>
      </div>
    </NoticeProvider>
  );
}

function RouteView({ route }: { readonly route: Route }) {
  switch (route) {
    case "nodes":
      return <NodesView />;
    case "workers":
      return <WorkersView />;
    case "models":
      return <ModelsView />;
    case "chat":
      return (
        <Suspense fallback={null}>
          <ChatView />
        </Suspense>
      );
    default:
      return assertNever(route);
  }
}

function NavLink({
  route,
  active,
  icon,
  count,
  mod,
  children,
}: {
  readonly route: Route;
  readonly active: Route;
  readonly icon: ReactNode;
  readonly count: number | undefined;
  readonly mod: string;
  readonly children: string;
}) {
  const current = route === active;
  return (
    <a
      href={routeHref(route)}
      aria-current={current ? "page" : undefined}
      title={`${children} (${mod}+${VIEW_ORDER.indexOf(route) + 1})`}
      className={`flex h-8 items-center gap-2 rounded-md px-2.5 text-sm font-medium transition-colors ${
        current
          ? "bg-white text-zinc-900 shadow-xs ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700"
          : "text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800/60 dark:hover:text-zinc-100"
      }`}
    >
      <span className={current ? "text-amber-600 dark:text-amber-400" : ""}>{icon}</span>
      {children}
      {count !== undefined ? (
        <span
          aria-hidden="true"
          className="ml-auto rounded-full bg-zinc-200/80 px-1.5 text-[11px] tabular-nums text-zinc-600 dark:bg-zinc-700/70 dark:text-zinc-300"
        >
          {count}
        </span>
      ) : null}
    </a>
  );
}
