// Runs inside Chromium, bundled by `pageBundle` (bench/lib/browser.ts) into one script that sets
// `window.__rbeeBench`. Two jobs: read an inference stream with the renderer's own HTTP client
// (src/renderer/api: fetch → the shared SSE reader → JSON → contract validation),
// and time the real renderer with performance marks: when a fleet snapshot arrives, when the DOM
// changes after it, and when the next frame after that change has been produced.
import "./jitless.js";
import { createHttpApi } from "../../src/renderer/api/http-transport.js";
import { TOKEN_STORAGE_KEY } from "../../src/renderer/api/select-api.js";
import { QueenEvent } from "../../src/shared/contract/events.js";
import type { InferenceRequest } from "../../src/shared/contract/inference.js";

/** One inference stream as the page saw it; times in ms after the request was sent. */
export interface PageStreamResult {
  readonly status: number;
  readonly started: number | null;
  readonly tokens: readonly number[];
  readonly end: { readonly ttft_ms: number; readonly decode_ms: number; readonly tokens_out: number } | null;
  readonly done: boolean;
  readonly error: string | null;
}

/** Which DOM state counts as "shown": at least `count` elements matching `selector`, or a text. */
export type ShownCondition = { readonly selector: string; readonly count: number } | { readonly text: string };

/** Performance-mark times recorded while recording was on. */
export interface Recording {
  /** A fleet `worker` delta or `workers` snapshot finished arriving. */
  readonly arrivals: readonly number[];
  /** Of those, how many were deltas and how many whole snapshots. */
  readonly deltas: number;
  readonly snapshots: number;
  /** The DOM changed (a React commit). */
  readonly commits: readonly number[];
  /** The first task after the frame that followed a commit: the change is on screen. */
  readonly painted: readonly number[];
  /** requestAnimationFrame timestamps. */
  readonly frames: readonly number[];
}

const SHOWN_KEY = "rbee-bench:shown";
const MARK = { arrival: "rbee-bench:arrival", commit: "rbee-bench:commit", painted: "rbee-bench:painted" } as const;

async function streamInference(body: InferenceRequest): Promise<PageStreamResult> {
  const token = sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? "";
  const api = createHttpApi(location.origin, token);
  const result = { status: 200, started: null as number | null, tokens: [] as number[], end: null as PageStreamResult["end"], done: false, error: null as string | null };
  const sent = performance.now();
  const handle = api.infer(body, (event) => {
    const t = performance.now() - sent;
    if (event.type === "token") result.tokens.push(t);
    else if (event.type === "started") result.started = t;
    else if (event.type === "end") result.end = { ttft_ms: event.ttft_ms, decode_ms: event.decode_ms, tokens_out: event.tokens_out };
    else if (event.type === "error") result.error = `${event.code}: ${event.message}`;
  });
  try {
    await handle.done;
    result.done = true;
  } catch (error) {
    result.status = 0;
    result.error = String((error as Error)?.message ?? error);
  }
  return result;
}

/** Times of every performance mark with `name`, then clears them. */
function takeMarks(name: string): number[] {
  const times = performance.getEntriesByName(name, "mark").map((entry) => entry.startTime);
  performance.clearMarks(name);
  return times;
}

/** Calls `done` in the first task from now: asked while a frame is being produced, the first task after it. */
function inNextTask(done: (t: number) => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    done(performance.now());
  };
  channel.port2.postMessage(null);
}

/** Calls `done` in the first task after the next frame has been produced. */
function afterNextFrame(done: (t: number) => void): void {
  requestAnimationFrame(() => inNextTask(done));
}

/**
 * Watches the `/v1/events` answers the renderer fetches (marking each complete `worker` delta or
 * `workers` snapshot as it arrives) and every DOM change. Installed before the app's own scripts run.
 */
function installUiProbes(): void {
  let recording = false;
  let condition: ShownCondition | null = null;
  let shown: { commit: number; frame: number | null } | null = null;
  let paintPending = false;
  let frames: number[] = [];
  let kinds = { deltas: 0, snapshots: 0 };

  const originalFetch = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await originalFetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.includes("/v1/events") || !response.body) return response;
    // Byte scan for the blank line that ends each SSE message; the head tells a worker delta
    // (`"worker"`) or a workers snapshot (`"workers"`) apart from the other kinds.
    const WANTED = 'data: {"type":"worker';
    const SNAPSHOT = `${WANTED}s"`;
    let head = "";
    let previous = 0;
    const scan = new TransformStream<Uint8Array, Uint8Array>(
      {
        transform(chunk, controller) {
          for (let i = 0; i < chunk.length; i++) {
            const byte = chunk[i] ?? 0;
            if (head.length < WANTED.length + 2) head += String.fromCharCode(byte);
            if (byte === 10 && previous === 10) {
              if (recording && head.startsWith(WANTED)) {
                performance.mark(MARK.arrival);
                if (head.startsWith(SNAPSHOT)) kinds.snapshots += 1;
                else kinds.deltas += 1;
              }
              head = "";
              previous = 0;
              continue;
            }
            previous = byte;
          }
          controller.enqueue(chunk);
        },
      },
      undefined,
      // Never hold the network back: arrival is stamped when the bytes reach the page.
      new CountQueuingStrategy({ highWaterMark: 1_000_000 }),
    );
    return new Response(response.body.pipeThrough(scan), { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  const satisfied = (): boolean => {
    if (!condition) return false;
    if ("text" in condition) return document.body?.textContent?.includes(condition.text) ?? false;
    return document.querySelectorAll(condition.selector).length >= condition.count;
  };

  // A DOM change made by an animation-frame callback (the renderer's store notifies once per frame)
  // is rendered in that same frame: its "on screen" is the first task after this frame, not the next.
  let inFrameCallbacks = false;
  const requestFrame = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) =>
    requestFrame((t) => {
      if (!inFrameCallbacks) {
        inFrameCallbacks = true;
        inNextTask(() => (inFrameCallbacks = false));
      }
      callback(t);
    });

  new MutationObserver(() => {
    const t = performance.now();
    if (recording) {
      performance.mark(MARK.commit, { startTime: t });
      if (!paintPending) {
        paintPending = true;
        (inFrameCallbacks ? inNextTask : afterNextFrame)((painted) => {
          paintPending = false;
          performance.mark(MARK.painted, { startTime: painted });
        });
      }
    }
    if (condition && !shown && satisfied()) {
      const found = { commit: t, frame: null as number | null };
      shown = found;
      afterNextFrame((frame) => {
        found.frame = frame;
      });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });

  // One frame loop per recording: a loop left from an earlier recording stops at its next frame.
  let generation = 0;
  const frameLoop = (loop: number) => (t: number): void => {
    if (!recording || loop !== generation) return;
    frames.push(t);
    requestAnimationFrame(frameLoop(loop));
  };

  // A page load to be timed says what counts as shown before it navigates (the probe must be
  // armed before the app's first render).
  const armed = sessionStorage.getItem(SHOWN_KEY);
  if (armed) {
    sessionStorage.removeItem(SHOWN_KEY);
    condition = JSON.parse(armed) as ShownCondition;
  }

  Object.assign(bench, {
    armShown(next: ShownCondition): void {
      sessionStorage.setItem(SHOWN_KEY, JSON.stringify(next));
    },
    shown: () => (shown && shown.frame !== null ? { commit: shown.commit, frame: shown.frame } : null),
    startRecording(): void {
      for (const name of Object.values(MARK)) performance.clearMarks(name);
      frames = [];
      kinds = { deltas: 0, snapshots: 0 };
      recording = true;
      generation += 1;
      requestAnimationFrame(frameLoop(generation));
    },
    stopRecording(): Recording {
      recording = false;
      return { arrivals: takeMarks(MARK.arrival), ...kinds, commits: takeMarks(MARK.commit), painted: takeMarks(MARK.painted), frames };
    },
  });
}

/** JSON.parse of one event, and JSON.parse plus the contract validation the renderer's event stream does. */
export interface DecodeTimes {
  readonly times: readonly number[];
  readonly validated: readonly number[];
  readonly bytes: number;
}

function timeDecode(text: string, runs: number): DecodeTimes {
  const times: number[] = [];
  const validated: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    JSON.parse(text);
    times.push(performance.now() - start);
    start = performance.now();
    if (!QueenEvent.safeParse(JSON.parse(text)).success) throw new Error(`an event does not match the contract: ${text.slice(0, 200)}`);
    validated.push(performance.now() - start);
  }
  return { times, validated, bytes: new TextEncoder().encode(text).length };
}

/**
 * The floor of applying an update: decoding the same events the renderer receives, the whole
 * workers list (a snapshot) and one worker (a delta).
 */
async function decodeFloor(runs: number): Promise<{ snapshot: DecodeTimes; delta: DecodeTimes }> {
  const token = sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? "";
  const list = await (await fetch("/v1/workers/list", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" })).text();
  const workers = (JSON.parse(list) as { workers: unknown[] }).workers;
  return {
    snapshot: timeDecode(JSON.stringify({ type: "workers", workers }), runs),
    delta: timeDecode(JSON.stringify({ type: "worker", op: "upsert", worker: workers[0] }), runs),
  };
}

const bench = { streamInference, installUiProbes, decodeFloor };
(window as unknown as { __rbeeBench: typeof bench }).__rbeeBench = bench;
