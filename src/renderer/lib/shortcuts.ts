import type { Route } from "./use-route.js";

/** What a global keyboard shortcut does. */
export type Shortcut = { readonly kind: "route"; readonly route: Route };

/** The views in sidebar order: Ctrl/Cmd+1, +2, +3, +4. */
export const VIEW_ORDER: readonly Route[] = ["nodes", "workers", "chat", "models"];

type KeyInput = Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "altKey">;

/**
 * The app-wide shortcut a key press means, if any: Ctrl+1…4 (Cmd on macOS) switch views. The
 * digit is read from the physical key too, so layouts where 1 needs Shift (AZERTY) work.
 */
export function globalShortcut(event: KeyInput): Shortcut | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const digit = /^Digit([1-9])$/.exec(event.code)?.[1] ?? (/^[1-9]$/.test(event.key) ? event.key : undefined);
  if (digit === undefined) return null;
  const route = VIEW_ORDER[Number(digit) - 1];
  return route ? { kind: "route", route } : null;
}

/** The modifier's name as this platform writes it. */
export function modifierLabel(platform: string): string {
  return /mac|iphone|ipad/i.test(platform) ? "⌘" : "Ctrl";
}

/** What the chat composer does with a key: Enter sends, Shift+Enter is a new line, Esc stops. */
export function composerAction(event: Pick<KeyboardEvent, "key" | "shiftKey" | "altKey" | "ctrlKey" | "metaKey" | "isComposing">): "send" | "stop" | null {
  if (event.isComposing) return null;
  if (event.key === "Enter" && !event.shiftKey && !event.altKey) return "send";
  if (event.key === "Escape") return "stop";
  return null;
}
