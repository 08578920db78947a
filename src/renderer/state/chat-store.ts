import type { RbeeApi, StreamHandle } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import type { StreamEvent } from "../../shared/contract/streams.js";
import { randomId } from "../lib/random-id.js";
import { runChatTurn } from "./chat-turn.js";
import {
  addExchange,
  appendAnswerText,
  applyAnswerEvent,
  CHAT_STORAGE_KEY,
  configureConversation,
  deleteConversation,
  deserializeChat,
  historyFor,
  isAnswering,
  newConversation,
  retryableAnswer,
  retryAnswer,
  selectConversation,
  serializeChat,
  settleAnswer,
  type ChatState,
  type Conversation,
} from "./conversations.js";
import { readLastModel, rememberModel } from "./last-model.js";
import { createStore, type Store } from "./store.js";

export interface ChatStoreOptions {
  readonly api: Pick<RbeeApi, "infer">;
  /** Where conversations are kept across restarts (localStorage); null keeps them in memory only. */
  readonly storage: Pick<Storage, "getItem" | "setItem"> | null;
  readonly now?: () => number;
  readonly newId?: () => string;
  /** Runs `flush` before the next paint: tokens are applied once per frame, not once per token. */
  readonly scheduleFrame?: (flush: () => void) => void;
  /** How long changes may wait before they are written (streams change the state every frame). */
  readonly saveDelayMs?: number;
}

/** The chat as the views use it: state plus the actions that change it. */
export interface ChatStore extends Store<ChatState> {
  /** Shows an empty conversation (a new one with the last model and node used, unless one is empty already); answers its id. */
  readonly newConversation: () => string;
  readonly deleteConversation: (id: string) => void;
  readonly select: (id: string) => void;
  readonly configure: (id: string, settings: Partial<Pick<Conversation, "model" | "node" | "max_tokens">>) => void;
  /**
   * Sends a message in the shown conversation (one is started if none is); false when it cannot be
   * sent now. A conversation with no model chosen takes `fallbackModel` (the only one loaded), and keeps it.
   */
  readonly send: (text: string, fallbackModel?: string) => boolean;
  /** Asks the last question of a conversation (default: the shown one) again when its answer stopped or failed before any text. */
  readonly retry: (id?: string) => boolean;
  /** Stops the answer running in a conversation (default: the shown one). */
  readonly stop: (id?: string) => void;
  /** Writes pending changes now (the window is going away). */
  readonly flush: () => void;
}

interface Running {
  readonly answerId: string;
  readonly handle: StreamHandle;
  stopped: boolean;
}

/** Creates the chat store: conversations from storage, answers streamed over the API. */
export function createChatStore(options: ChatStoreOptions): ChatStore {
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomId;
  const scheduleFrame = options.scheduleFrame ?? ((flush) => requestAnimationFrame(() => flush()));
  const saveDelay = options.saveDelayMs ?? 500;

  const store = createStore(deserializeChat(readStorage(options.storage)));
  const state = store.getSnapshot;
  const running = new Map<string, Running>();
  // Token text waiting for the next frame, per conversation and answer.
  const pendingText = new Map<string, { readonly conversationId: string; readonly answerId: string; text: string }>();
  let frameScheduled = false;
  // The last model a message went to: what a new conversation starts with.
  let lastModel = readLastModel(options.storage);
  let saveTimer: ReturnType<typeof setTimeout> | undefined;

  const save = (): void => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    if (!options.storage) return;
    try {
      options.storage.setItem(CHAT_STORAGE_KEY, serializeChat(state()));
    } catch (error) {
      console.warn("rbee: could not keep the conversations", error);
    }
  };
  const set = (next: ChatState, saveNow = false): void => {
    if (!store.set(next)) return;
    if (saveNow) save();
    else saveTimer ??= setTimeout(save, saveDelay);
  };

  const flushText = (): void => {
    frameScheduled = false;
    let next = state();
    for (const pending of pendingText.values()) next = appendAnswerText(next, pending.conversationId, pending.answerId, pending.text);
    pendingText.clear();
    set(next);
  };

  const onEvent = (conversationId: string, answerId: string, event: StreamEvent): void => {
    if (event.type === "token") {
      const key = `${conversationId}/${answerId}`;
      const pending = pendingText.get(key);
      if (pending) pending.text += event.t;
      else pendingText.set(key, { conversationId, answerId, text: event.t });
      if (!frameScheduled) {
        frameScheduled = true;
        scheduleFrame(flushText);
      }
      return;
    }
    // Text that arrived before this event is shown first.
    if (pendingText.size > 0) flushText();
    set(applyAnswerEvent(state(), conversationId, answerId, event), event.type === "end" || event.type === "error");
  };

  const find = (id: string | null): Conversation | undefined => state().conversations.find((c) => c.id === id);

  const startConversation = (): string => {
    // An empty conversation is reused rather than piling up.
    const empty = state().conversations.find((c) => c.turns.length === 0);
    if (empty) {
      set(selectConversation(state(), empty.id), true);
      return empty.id;
    }
    const last = state().conversations[0];
    const id = newId();
    const model = lastModel || (last?.model ?? "");
    set(newConversation(state(), { id, now: now(), model, node: last?.node ?? null, max_tokens: last?.max_tokens }), true);
    return id;
  };

  /** Streams the answer `answerId` of a conversation whose last turns are the question and that answer. */
  const run = (conversationId: string, answerId: string): boolean => {
    const conversation = find(conversationId);
    if (!conversation) return false;
    const model = conversation.model.trim();
    lastModel = model;
    rememberModel(options.storage, model);
    const handle = runChatTurn(
      options.api,
      {
        model,
        node: conversation.node,
        session: conversationId,
        messages: historyFor(conversation, answerId),
        max_tokens: conversation.max_tokens,
      },
      (event) => onEvent(conversationId, answerId, event),
    );
    const entry: Running = { answerId, handle, stopped: false };
    running.set(conversationId, entry);
    handle.done.then(
      () => settle(conversationId, entry),
      (error: unknown) => settle(conversationId, entry, error),
    );
    return true;
  };

  return {
    getSnapshot: store.getSnapshot,
    subscribe: store.subscribe,
    newConversation: startConversation,
    deleteConversation(id) {
      running.get(id)?.handle.cancel();
      running.delete(id);
      set(deleteConversation(state(), id), true);
    },
    select(id) {
      set(selectConversation(state(), id), true);
    },
    configure(id, settings) {
      set(configureConversation(state(), id, settings), true);
    },
    send(text, fallbackModel = "") {
      const message = text.trim();
      if (message === "") return false;
      const conversationId = find(state().activeId)?.id ?? startConversation();
      const conversation = find(conversationId);
      if (!conversation || isAnswering(conversation) || running.has(conversationId)) return false;
      if (conversation.model.trim() === "") {
        if (fallbackModel.trim() === "") return false;
        set(configureConversation(state(), conversationId, { model: fallbackModel.trim() }), true);
      }
      const answerId = newId();
      set(addExchange(state(), conversationId, { userId: newId(), answerId, text: message, now: now() }), true);
      return run(conversationId, answerId);
    },
    retry(id) {
      const conversation = find(id ?? state().activeId);
      if (!conversation || running.has(conversation.id) || !retryableAnswer(conversation.turns)) return false;
      const answerId = newId();
      set(retryAnswer(state(), conversation.id, { answerId, now: now() }), true);
      return run(conversation.id, answerId);
    },
    stop(id) {
      const run = running.get(id ?? state().activeId ?? "");
      if (!run || run.stopped) return;
      run.stopped = true;
      run.handle.cancel();
    },
    flush() {
      if (pendingText.size > 0) flushText();
      save();
    },
  };

  function settle(conversationId: string, run: Running, error?: unknown): void {
    if (pendingText.size > 0) flushText();
    if (running.get(conversationId) === run) running.delete(conversationId);
    const failure =
      error === undefined
        ? undefined
        : error instanceof RbeeError
          ? { code: error.code, message: error.message }
          : { code: "INTERNAL", message: (error as Error)?.message ?? String(error) };
    set(settleAnswer(state(), conversationId, run.answerId, { stopped: run.stopped, ...(failure ? { error: failure } : {}) }), true);
  }
}

function readStorage(storage: Pick<Storage, "getItem"> | null): string | null {
  try {
    return storage?.getItem(CHAT_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}
