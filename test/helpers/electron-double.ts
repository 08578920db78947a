// A test double of Electron: the binary cannot run here (it cannot be downloaded on these machines).
// It stands in for the `electron` module with the parts src/main and src/preload use, behaving the
// way Electron documents them, so that the shell's own code runs under Node:
//   vi.mock("electron", async () => (await import("../helpers/electron-double.js")).electronDouble);
// What it keeps faithful, because the shell relies on it:
// - ipcMain.handle refuses a second handler for a channel; invoke without a handler rejects;
// - renderer → main and main → renderer messages cross asynchronously, in order, as structured
//   clones (one FIFO "pipe": a reply never overtakes a message sent before it);
// - the context bridge copies what the preload exposes: functions stay callable, promises settle
//   across, plain objects are copied, and an Error loses every field but its message;
// - app.quit() emits before-quit, closes the windows, then will-quit and quit, each of the two
//   `before`/`will` events cancellable with preventDefault; closing the last window emits
//   window-all-closed, and quits when nobody listens to it;
// - a session without permission handlers grants permissions (Electron's default);
// - webContents.send and tray methods throw once their object is destroyed.
// Methods that are not Electron's (the user's actions, the test's probes) are marked "test:".
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

type Handler = (event: unknown, ...args: unknown[]) => unknown;

/** Every handler registered with ipcMain.handle, by channel (what tests invoke directly). */
export const ipcHandlers = new Map<string, Handler>();

/** One step across the process boundary: FIFO, after the current task (like a real IPC pipe). */
function acrossProcesses(deliver: () => void): void {
  setImmediate(deliver);
}

const destroyedError = (): TypeError => new TypeError("Object has been destroyed");

/** A cancellable Electron event. */
export class CancellableEvent {
  defaultPrevented = false;
  constructor(readonly fields: Record<string, unknown> = {}) {
    Object.assign(this, fields);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** What a renderer's ipcRenderer did, in order: the tests check that listeners come before calls. */
export type RendererStep =
  | { readonly kind: "on" | "removeListener"; readonly channel: string }
  | { readonly kind: "invoke"; readonly channel: string; readonly args: readonly unknown[] }
  | { readonly kind: "received"; readonly channel: string; readonly args: readonly unknown[] }
  | { readonly kind: "answered"; readonly channel: string; readonly value: unknown };

/** The renderer side of one webContents: its ipcRenderer, and the world its preload exposes to the page. */
export class RendererProcess extends EventEmitter {
  /** test: what this renderer's ipcRenderer did and received, in order. */
  readonly steps: RendererStep[] = [];
  /** test: what contextBridge.exposeInMainWorld put on the page's `window`. */
  readonly mainWorld: Record<string, unknown> = {};

  constructor(private readonly contents: FakeWebContents) {
    super();
  }

  override on(channel: string | symbol, listener: (...args: any[]) => void): this {
    if (typeof channel === "string") this.steps.push({ kind: "on", channel });
    return super.on(channel, listener);
  }

  override removeListener(channel: string | symbol, listener: (...args: any[]) => void): this {
    if (typeof channel === "string") this.steps.push({ kind: "removeListener", channel });
    return super.removeListener(channel, listener);
  }

  override off(channel: string | symbol, listener: (...args: any[]) => void): this {
    return this.removeListener(channel, listener);
  }

  /** ipcRenderer.invoke: the main process's handler answers, or the promise rejects as Electron's does. */
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    // Arguments are structured clones: a function among them throws here, as in Electron.
    const sent = structuredClone(args);
    this.steps.push({ kind: "invoke", channel, args: sent });
    const contents = this.contents;
    return new Promise((resolve, reject) => {
      acrossProcesses(() => {
        const handler = ipcHandlers.get(channel);
        const fail = (reason: unknown): void =>
          acrossProcesses(() => reject(new Error(`Error invoking remote method '${channel}': ${String(reason)}`)));
        if (!handler) {
          fail(new Error(`No handler registered for '${channel}'`));
          return;
        }
        const event = { sender: contents, senderFrame: contents.isDestroyed() ? null : contents.mainFrame, processId: 1, frameId: 1 };
        Promise.resolve()
          .then(() => handler(event, ...sent))
          .then((value) => {
            const answer = structuredClone(value);
            acrossProcesses(() => {
              this.steps.push({ kind: "answered", channel, value: answer });
              resolve(answer);
            });
          }, fail);
      });
    });
  }

  /** Delivers what the main process sent to this renderer's listeners. */
  deliver(channel: string, args: readonly unknown[]): void {
    this.steps.push({ kind: "received", channel, args });
    this.emit(channel, { sender: this, senderId: 0, ports: [] }, ...args);
  }
}

/** A webContents: its renderer, navigation (with the page's own actions as test helpers), lifecycle. */
export class FakeWebContents extends EventEmitter {
  private static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly renderer = new RendererProcess(this);
  private url = "";
  private destroyed = false;
  private windowOpenHandler: ((details: { url: string }) => { action: "allow" | "deny" }) | undefined;

  get mainFrame(): { readonly url: string } {
    return { url: this.url };
  }

  getURL(): string {
    return this.url;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** webContents.send: a structured clone reaches the renderer's listeners, after what was sent before. */
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw destroyedError();
    const sent = structuredClone(args);
    acrossProcesses(() => {
      if (!this.destroyed) this.renderer.deliver(channel, sent);
    });
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: "allow" | "deny" }): void {
    this.windowOpenHandler = handler;
  }

  /** Loads a URL the way the browser process does: did-navigate, then did-finish-load. */
  async loadURL(url: string): Promise<void> {
    if (this.destroyed) throw destroyedError();
    this.url = new URL(url).href;
    this.emit("did-navigate", new CancellableEvent(), this.url, 200, "OK");
    await new Promise<void>((resolve) => acrossProcesses(resolve));
    // Destroyed while loading: the load just stops.
    if (!this.destroyed) this.emit("did-finish-load", new CancellableEvent());
  }

  /** test: the page navigates (a link, `location = …`): will-navigate may cancel it. Answers whether it went. */
  userNavigates(url: string): boolean {
    const event = new CancellableEvent({ url, isSameDocument: false, isMainFrame: true });
    this.emit("will-navigate", event, url, false, true);
    if (event.defaultPrevented) return false;
    this.url = url;
    this.emit("did-navigate", new CancellableEvent(), url, 200, "OK");
    return true;
  }

  /** test: the page calls `window.open(url)` (or a target=_blank link): the handler decides; default allow. */
  userOpensWindow(url: string): "allow" | "deny" {
    const details = { url, frameName: "", features: "", disposition: "new-window", referrer: { url: "", policy: "default" } };
    return this.windowOpenHandler?.(details).action ?? "allow";
  }

  /** test: the page adds a <webview>: will-attach-webview may cancel it. Answers whether it was attached. */
  userAttachesWebview(src: string): boolean {
    const event = new CancellableEvent();
    this.emit("will-attach-webview", event, { nodeIntegration: false }, { src });
    return !event.defaultPrevented;
  }

  /** test: the renderer process crashes. */
  crash(): void {
    this.emit("render-process-gone", new CancellableEvent(), { reason: "crashed", exitCode: 1 });
  }

  /** Not public on Electron's webContents: BrowserWindow destroys its own. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("destroyed");
  }
}

/** A BrowserWindow: options kept for the test to read, its webContents, visibility and lifecycle. */
export class FakeBrowserWindow extends EventEmitter {
  private static windows: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  private visible: boolean;
  private minimized = false;
  private destroyed = false;
  /** test: how often show() and focus() were called. */
  readonly calls = { show: 0, focus: 0, restore: 0 };

  constructor(readonly options: Record<string, any> = {}) {
    super();
    this.visible = options.show !== false;
    FakeBrowserWindow.windows.push(this);
  }

  static getAllWindows(): FakeBrowserWindow[] {
    return [...FakeBrowserWindow.windows];
  }

  static fromWebContents(contents: unknown): FakeBrowserWindow | null {
    return FakeBrowserWindow.windows.find((window) => window.webContents === contents) ?? null;
  }

  /** Loads the URL; ready-to-show follows the first load (the page has painted). */
  async loadURL(url: string): Promise<void> {
    if (this.destroyed) throw destroyedError();
    await this.webContents.loadURL(url);
    if (!this.destroyed) this.emit("ready-to-show");
  }

  /** loadFile: a file: URL of the path, as Electron builds it. */
  loadFile(path: string): Promise<void> {
    return this.loadURL(pathToFileURL(path).href);
  }

  show(): void {
    this.check();
    this.calls.show += 1;
    this.visible = true;
    this.minimized = false;
  }
  hide(): void {
    this.check();
    this.visible = false;
  }
  focus(): void {
    this.check();
    this.calls.focus += 1;
  }
  isVisible(): boolean {
    this.check();
    return this.visible;
  }
  minimize(): void {
    this.check();
    this.minimized = true;
  }
  isMinimized(): boolean {
    this.check();
    return this.minimized;
  }
  restore(): void {
    this.check();
    this.calls.restore += 1;
    this.minimized = false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** close(): a cancellable `close`, then the window goes. */
  close(): void {
    if (this.destroyed) return;
    const event = new CancellableEvent();
    this.emit("close", event);
    if (!event.defaultPrevented) this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    FakeBrowserWindow.windows = FakeBrowserWindow.windows.filter((window) => window !== this);
    this.webContents.destroy();
    this.emit("closed");
    if (FakeBrowserWindow.windows.length === 0 && !fakeApp.quitting) {
      if (fakeApp.listenerCount("window-all-closed") === 0) fakeApp.quit();
      else fakeApp.emit("window-all-closed");
    }
  }

  private check(): void {
    if (this.destroyed) throw destroyedError();
  }

  /** test: forgets every window (between tests). */
  static reset(): void {
    for (const window of FakeBrowserWindow.windows) {
      window.destroyed = true;
      window.webContents.destroy();
    }
    FakeBrowserWindow.windows = [];
  }
}

/** The `app` module: readiness, the single-instance lock, and the quit sequence. */
export class FakeApp extends EventEmitter {
  /** test: another instance holds the single-instance lock. */
  anotherInstanceRunning = false;
  /** test: where getAppPath() points (the app's root: resources/ is below it). */
  appPath = process.cwd();
  /** test: how the app ended, once it has (quit → 0, exit(code) → code). */
  exitCode: number | undefined;
  /** test: every app event emitted, in order. */
  readonly emitted: string[] = [];
  quitting = false;
  private ready = false;
  private readyPromise: Promise<void> | undefined;
  private ended: { promise: Promise<number>; resolve: (code: number) => void } = FakeApp.endPromise();

  private static endPromise(): { promise: Promise<number>; resolve: (code: number) => void } {
    let resolve!: (code: number) => void;
    const promise = new Promise<number>((settle) => (resolve = settle));
    return { promise, resolve };
  }

  override emit(name: string | symbol, ...args: unknown[]): boolean {
    if (typeof name === "string") this.emitted.push(name);
    return super.emit(name, ...args);
  }

  requestSingleInstanceLock(): boolean {
    return !this.anotherInstanceRunning;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Ready on the next turn, like a real start. */
  whenReady(): Promise<void> {
    this.readyPromise ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.ready = true;
        this.emit("ready");
        resolve();
      }),
    );
    return this.readyPromise;
  }

  getAppPath(): string {
    return this.appPath;
  }

  /** before-quit (cancellable) → the windows close (each cancellable) → will-quit (cancellable) → quit. */
  quit(): void {
    if (this.exitCode !== undefined) return;
    const beforeQuit = new CancellableEvent();
    this.emit("before-quit", beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    this.quitting = true;
    for (const window of FakeBrowserWindow.getAllWindows()) {
      window.close();
      if (!window.isDestroyed()) {
        this.quitting = false;
        return;
      }
    }
    const willQuit = new CancellableEvent();
    this.emit("will-quit", willQuit);
    if (willQuit.defaultPrevented) {
      this.quitting = false;
      return;
    }
    this.emit("quit", new CancellableEvent(), 0);
    this.end(0);
  }

  /** exit(code): ends at once; no before-quit, no will-quit. */
  exit(code = 0): void {
    if (this.exitCode !== undefined) return;
    this.quitting = true;
    for (const window of FakeBrowserWindow.getAllWindows()) window.destroy();
    this.end(code);
  }

  /** test: resolves with the exit code once the app has ended. */
  whenEnded(): Promise<number> {
    return this.ended.promise;
  }

  private end(code: number): void {
    this.exitCode = code;
    this.ended.resolve(code);
  }

  /** test: a fresh app (between tests). */
  reset(): void {
    this.removeAllListeners();
    this.anotherInstanceRunning = false;
    this.appPath = process.cwd();
    this.exitCode = undefined;
    this.emitted.length = 0;
    this.quitting = false;
    this.ready = false;
    this.readyPromise = undefined;
    this.ended = FakeApp.endPromise();
  }
}

export const fakeApp = new FakeApp();

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: object) => void;
type PermissionCheckHandler = (contents: unknown, permission: string, requestingOrigin: string, details: object) => boolean;

/** A session: permission handlers. Without them every permission is granted, as in Electron. */
export class FakeSession {
  private requestHandler: PermissionRequestHandler | null = null;
  private checkHandler: PermissionCheckHandler | null = null;

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.checkHandler = handler;
  }

  /** test: a page asks for a permission (getUserMedia, Notification.requestPermission, …). */
  requestPermission(contents: unknown, permission: string): Promise<boolean> {
    if (!this.requestHandler) return Promise.resolve(true);
    const handler = this.requestHandler;
    return new Promise((resolve) => handler(contents, permission, resolve, { requestingUrl: "" }));
  }

  /** test: Chromium checks a permission synchronously (navigator.permissions.query, …). */
  checkPermission(contents: unknown, permission: string, origin: string): boolean {
    return this.checkHandler ? this.checkHandler(contents, permission, origin, {}) : true;
  }

  reset(): void {
    this.requestHandler = null;
    this.checkHandler = null;
  }
}

const defaultSession = new FakeSession();

/** shell: openExternal records the URL instead of starting a browser. */
const fakeShell = {
  /** test: every URL handed to the OS. */
  opened: [] as string[],
  openExternal(url: string): Promise<void> {
    fakeShell.opened.push(url);
    return Promise.resolve();
  },
};

/** A nativeImage: empty when its file does not exist, as Electron's createFromPath is. */
export class FakeNativeImage {
  constructor(readonly path: string | undefined) {}
  isEmpty(): boolean {
    return this.path === undefined || !existsSync(this.path);
  }
}

const fakeNativeImage = {
  createFromPath: (path: string): FakeNativeImage => new FakeNativeImage(path),
  createEmpty: (): FakeNativeImage => new FakeNativeImage(undefined),
};

/** One item of a built menu, with Electron's defaults filled in. */
export interface FakeMenuItem {
  readonly label: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly click: ((...args: unknown[]) => void) | undefined;
}

export class FakeMenu {
  constructor(readonly items: readonly FakeMenuItem[]) {}

  static buildFromTemplate(template: readonly Record<string, any>[]): FakeMenu {
    return new FakeMenu(
      template.map((item) => ({ label: item.label ?? "", type: item.type ?? "normal", enabled: item.enabled ?? true, click: item.click })),
    );
  }

  /** test: the user clicks an item; a disabled item does nothing, as in a real menu. */
  click(label: string): void {
    const item = this.items.find((candidate) => candidate.label === label);
    if (!item) throw new Error(`no menu item "${label}" in ${JSON.stringify(this.items.map((i) => i.label))}`);
    if (item.enabled) item.click?.(item, undefined, {});
  }
}

/** A tray icon: what it shows; its methods throw once it is destroyed. */
export class FakeTray extends EventEmitter {
  /** test: the trays alive now. */
  static live: FakeTray[] = [];
  image: FakeNativeImage;
  tooltip = "";
  contextMenu: FakeMenu | null = null;
  private destroyed = false;

  constructor(image: FakeNativeImage) {
    super();
    this.image = image;
    FakeTray.live.push(this);
  }

  setImage(image: FakeNativeImage): void {
    this.check();
    this.image = image;
  }
  setToolTip(tooltip: string): void {
    this.check();
    this.tooltip = tooltip;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.check();
    this.contextMenu = menu;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    FakeTray.live = FakeTray.live.filter((tray) => tray !== this);
  }

  private check(): void {
    if (this.destroyed) throw destroyedError();
  }
}

/** A system notification: shown ones are recorded; `click` is the user clicking it. */
export class FakeNotification extends EventEmitter {
  /** test: is the platform's notification service there. */
  static supported = true;
  /** test: every notification shown, in order. */
  static shown: FakeNotification[] = [];

  constructor(readonly options: { readonly title?: string; readonly body?: string; readonly silent?: boolean }) {
    super();
  }

  static isSupported(): boolean {
    return FakeNotification.supported;
  }

  show(): void {
    FakeNotification.shown.push(this);
  }
}

/** safeStorage as on a Linux desktop without a keyring: no OS encryption. */
const fakeSafeStorage = {
  isEncryptionAvailable: (): boolean => false,
  encryptString: (): Buffer => {
    throw new Error("Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.");
  },
  decryptString: (): string => {
    throw new Error("Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.");
  },
};

const fakeIpcMain = {
  handle(channel: string, handler: Handler): void {
    if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcHandlers.delete(channel);
  },
};

/** The webContents whose renderer runs the preload being loaded (the preload's ipcRenderer and contextBridge act there). */
let preloadTarget: FakeWebContents | undefined;

function target(): FakeWebContents {
  if (!preloadTarget) throw new Error("electron double: call runPreloadIn(webContents) before loading a preload");
  return preloadTarget;
}

/** test: the preload loaded next runs in this webContents' renderer. */
export function runPreloadIn(contents: FakeWebContents): void {
  preloadTarget = contents;
}

/** ipcRenderer, for the preload: the renderer of the webContents given to runPreloadIn. */
const fakeIpcRenderer = {
  on: (channel: string, listener: (...args: any[]) => void) => target().renderer.on(channel, listener),
  once: (channel: string, listener: (...args: any[]) => void) => target().renderer.once(channel, listener),
  off: (channel: string, listener: (...args: any[]) => void) => target().renderer.off(channel, listener),
  removeListener: (channel: string, listener: (...args: any[]) => void) => target().renderer.removeListener(channel, listener),
  removeAllListeners: (channel?: string) => target().renderer.removeAllListeners(channel),
  invoke: (channel: string, ...args: unknown[]) => target().renderer.invoke(channel, ...args),
};

/** What crosses the context bridge: a copy, with functions and promises proxied (Electron's rules). */
function acrossBridge(value: unknown): unknown {
  if (typeof value === "function") {
    const fn = value as (...args: unknown[]) => unknown;
    return (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = fn(...args.map(acrossBridge));
      } catch (error) {
        throw acrossBridge(error);
      }
      return acrossBridge(result);
    };
  }
  if (value instanceof Promise) return value.then(acrossBridge, (error: unknown) => Promise.reject(acrossBridge(error)));
  // "Any custom properties on the Error object will be lost" (Electron's context-bridge docs).
  if (value instanceof Error) return new Error(value.message);
  if (Array.isArray(value)) return value.map(acrossBridge);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, acrossBridge(field)]));
  }
  return value;
}

const fakeContextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    const world = target().renderer.mainWorld;
    if (key in world) throw new Error("Cannot bind an API on top of an existing property on the window object");
    world[key] = acrossBridge(api);
  },
};

/** The `electron` module as the test double provides it. */
export const electronDouble = {
  app: fakeApp,
  BrowserWindow: FakeBrowserWindow,
  contextBridge: fakeContextBridge,
  ipcMain: fakeIpcMain,
  ipcRenderer: fakeIpcRenderer,
  Menu: FakeMenu,
  nativeImage: fakeNativeImage,
  Notification: FakeNotification,
  safeStorage: fakeSafeStorage,
  session: { defaultSession },
  shell: fakeShell,
  Tray: FakeTray,
};

/** test: the double's state, for assertions. */
export const electronState = { app: fakeApp, session: defaultSession, shell: fakeShell };

/** test: a fresh double between tests: no windows, trays, handlers, listeners, notifications or links. */
export function resetElectronDouble(): void {
  FakeBrowserWindow.reset();
  for (const tray of FakeTray.live) tray.destroy();
  FakeNotification.shown = [];
  FakeNotification.supported = true;
  fakeApp.reset();
  defaultSession.reset();
  fakeShell.opened.length = 0;
  ipcHandlers.clear();
  preloadTarget = undefined;
}
