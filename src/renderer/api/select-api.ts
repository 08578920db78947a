import type { RbeeApi } from "../../shared/contract/api.js";
import type { ConnectionSource } from "./connection.js";
import { createHttpApi } from "./http-transport.js";
import { createIpcApi, type RbeeBridge } from "./ipc-transport.js";

/** Where the token of a browser session is kept: survives reloads, never leaves the tab. */
export const TOKEN_STORAGE_KEY = "rbee.token";

/** Which transport the renderer runs on, or why it has none. */
export type ApiSelection =
  | { readonly kind: "ipc"; readonly api: RbeeApi }
  | { readonly kind: "http"; readonly api: RbeeApi & ConnectionSource; readonly baseUrl: string }
  | { readonly kind: "missing-token"; readonly origin: string };

type WindowWithBridge = Window & { readonly rbee?: RbeeBridge };

/**
 * Picks the transport: the Electron preload's `window.rbee` when present, else the queen's HTTP API
 * at this page's origin with the token from the `#token=…` fragment queen-rbee prints. The token is
 * moved to sessionStorage and removed from the address bar so that it is not bookmarked or shared.
 */
export function selectApi(win: Window = window): ApiSelection {
  const bridge = (win as WindowWithBridge).rbee;
  if (bridge) return { kind: "ipc", api: createIpcApi(bridge) };

  const origin = win.location.origin;
  const token = takeTokenFromFragment(win) ?? readStoredToken(win);
  if (!token) return { kind: "missing-token", origin };
  return { kind: "http", api: createHttpApi(origin, token), baseUrl: origin };
}

/** Forgets the stored token (it was refused), so that a reload asks for a fresh link. */
export function forgetToken(win: Window = window): void {
  try {
    win.sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Storage may be disabled; nothing to forget then.
  }
}

function takeTokenFromFragment(win: Window): string | null {
  const fragment = win.location.hash.replace(/^#/, "");
  if (!fragment) return null;
  const token = new URLSearchParams(fragment).get("token")?.trim();
  if (!token) return null;
  try {
    win.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Without storage the token lives only in this page; a reload will ask for the link again.
  }
  win.history.replaceState(win.history.state, "", win.location.pathname + win.location.search);
  return token;
}

function readStoredToken(win: Window): string | null {
  try {
    return win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}
