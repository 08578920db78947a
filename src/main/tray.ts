// The tray icon: fleet health at a glance, a short menu, and notifications when a node goes down or
// comes back. The status itself is computed in the core (tray-status.ts); this is Electron glue.
import { join } from "node:path";
import { app, Menu, nativeImage, Notification, Tray, type MenuItemConstructorOptions, type NativeImage } from "electron";
import type { Beehive, QueenEvent, RegisteredWorker } from "../shared/contract/index.js";
import {
  fleetStatus,
  nodeTransitions,
  trayMenu,
  type FleetLevel,
  type FleetStatus,
  type NodeNotice,
  type TrayAction,
} from "../core/tray-status.js";

/** The part of the queen's service the tray needs: its state feed, and stopping a worker. */
export interface TrayService {
  readonly events: (listener: (event: QueenEvent) => void, options?: { readonly liveDevices?: boolean }) => () => void;
  readonly stopWorker: (input: { readonly id: string }) => Promise<unknown>;
}

export interface TrayOptions {
  readonly service: TrayService;
  /** Shows (creating it if needed) and focuses the main window. */
  readonly showWindow: () => void;
  readonly quit: () => void;
  /**
   * Tells the user that a node went down or came back: by default a system notification (Electron
   * Notification) that opens the window when clicked; `false` for none.
   */
  readonly notify?: ((notice: NodeNotice) => void) | false;
  /** Where the tray icons are; default `<app path>/resources`. */
  readonly resourcesDir?: string;
  readonly log?: (message: string) => void;
}

/** The installed tray. */
export interface TrayHandle {
  readonly tray: Tray;
  /** The status the tray shows now. */
  status(): FleetStatus;
  /** Unsubscribes from the registries and removes the icon. */
  dispose(): void;
}

/**
 * Where the `_electron` smoke test finds the tray: `globalThis[Symbol.for(TRAY_PROBE)]` holds the
 * TrayHandle while one is installed (Electron has no API that lists trays).
 */
export const TRAY_PROBE = "rbee.tray";

/**
 * The icon for a level. Linux tray hosts draw icons at 22-24 px, so they get the 32 px variant
 * (scaled down); macOS and Windows draw 16 px. Electron loads the `@2x` file on HiDPI screens.
 */
function trayIcon(resourcesDir: string, level: FleetLevel): NativeImage {
  const base = process.platform === "linux" ? `tray-${level}-32` : `tray-${level}`;
  return nativeImage.createFromPath(join(resourcesDir, `${base}.png`));
}

function systemNotification(showWindow: () => void): (notice: NodeNotice) => void {
  return (notice) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: notice.title, body: notice.body, silent: notice.kind === "up" });
    notification.on("click", showWindow);
    notification.show();
  };
}

/**
 * Creates the tray icon and keeps its icon, tooltip and menu in step with the registries; notifies
 * when a node goes unreachable or comes back. Call once the app is ready.
 */
export function installTray(options: TrayOptions): TrayHandle {
  const { service, showWindow, quit } = options;
  const log = options.log ?? (() => undefined);
  const resourcesDir = options.resourcesDir ?? join(app.getAppPath(), "resources");
  const notify = options.notify === false ? undefined : (options.notify ?? systemNotification(showWindow));
  const icons = new Map<FleetLevel, NativeImage>();
  const iconFor = (level: FleetLevel): NativeImage => {
    let icon = icons.get(level);
    if (!icon) {
      icon = trayIcon(resourcesDir, level);
      if (icon.isEmpty()) log(`tray icon for ${level} not found in ${resourcesDir}`);
      icons.set(level, icon);
    }
    return icon;
  };

  // The feed sends both snapshots at once on subscribe, then one after each change.
  let nodes: readonly Beehive[] | undefined;
  let workers: readonly RegisteredWorker[] = [];
  let installed = false;
  const unsubscribe = service.events(
    (event) => {
      if (event.type === "workers") {
        workers = event.workers;
      } else if (event.type === "nodes") {
        const notices = nodeTransitions(nodes, event.nodes);
        nodes = event.nodes;
        for (const notice of notices) notify?.(notice);
      } else {
        return; // downloads, stats, device figures and exits: the tray shows none of them
      }
      if (installed) update();
    },
    // The tray shows no GPU figures: it must not keep the queen polling the nodes for them.
    { liveDevices: false },
  );

  let status = fleetStatus(nodes ?? [], workers);
  const tray = new Tray(iconFor(status.level));

  const stopAllWorkers = async (): Promise<void> => {
    const results = await Promise.allSettled(workers.map((worker) => service.stopWorker({ id: worker.id })));
    for (const result of results) {
      if (result.status === "rejected") log(`stop all workers: ${(result.reason as Error)?.message ?? String(result.reason)}`);
    }
  };
  const run = (action: TrayAction): void => {
    switch (action) {
      case "open":
        showWindow();
        return;
      case "stop-all-workers":
        void stopAllWorkers();
        return;
      case "quit":
        quit();
        return;
    }
  };
  const menuFor = (shown: FleetStatus): Menu =>
    Menu.buildFromTemplate(
      trayMenu(shown).map((item): MenuItemConstructorOptions => {
        switch (item.kind) {
          case "status":
            return { label: item.label, enabled: false };
          case "separator":
            return { type: "separator" };
          case "action":
            return { label: item.label, enabled: item.enabled, click: () => run(item.action) };
        }
      }),
    );

  let menuKey = "";
  const render = (next: FleetStatus, force: boolean): void => {
    if (force || next.level !== status.level) tray.setImage(iconFor(next.level));
    if (force || next.tooltip !== status.tooltip) tray.setToolTip(next.tooltip);
    const key = JSON.stringify(trayMenu(next));
    if (force || key !== menuKey) {
      tray.setContextMenu(menuFor(next));
      menuKey = key;
    }
    status = next;
  };
  render(status, true);
  tray.on("click", () => {
    // On macOS a click opens the menu; elsewhere it opens the window.
    if (process.platform !== "darwin") showWindow();
  });

  function update(): void {
    if (!tray.isDestroyed()) render(fleetStatus(nodes ?? [], workers), false);
  }
  installed = true;

  const probe = Symbol.for(TRAY_PROBE);
  const handle: TrayHandle = {
    tray,
    status: () => status,
    dispose: () => {
      unsubscribe();
      if (!tray.isDestroyed()) tray.destroy();
      const globals = globalThis as Record<symbol, unknown>;
      if (globals[probe] === handle) delete globals[probe];
    },
  };
  (globalThis as Record<symbol, unknown>)[probe] = handle;
  return handle;
}
