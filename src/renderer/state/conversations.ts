import { z } from "zod";
import type { ChatMessage as ContractChatMessage } from "../../shared/contract/inference.js";
import type { EndEvent, ProgressEvent, StreamEvent } from "../../shared/contract/streams.js";

/** Where an assistant answer is: waiting for a worker, streaming, or over (and how). */
export const AnswerStatus = z.enum(["pending", "streaming", "done", "stopped", "failed"]);
export type AnswerStatus = z.infer<typeof AnswerStatus>;

const EndStats = z.object({
  /** Prompt tokens the model read, and of those the ones its worker had cached (absent from older answers). */
  tokens_in: z.number().optional(),
  tokens_cached: z.number().optional(),
  tokens_out: z.number(),
  decode_ms: z.number(),
  ttft_ms: z.number(),
  stop_reason: z.string(),
});

/** One message of a conversation as the chat keeps it. */
export const ChatTurn = z.object({
  id: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  created_ms: z.number(),
  /** Assistant answers only. */
  status: AnswerStatus.optional(),
  stats: EndStats.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Where it ran, from the `started` event. */
  worker: z.object({ worker_id: z.string(), node_name: z.string(), model_ref: z.string() }).optional(),
  /** Where a cold start stood when the answer was stopped before its first token (a download is kept and resumed). */
  interrupted: z.object({ stage: z.string(), bytes: z.number().optional(), bytes_total: z.number().optional() }).optional(),
  /** The latest cold-start step (or place in the queue) while no token has arrived; not kept across restarts. */
  progress: z
    .object({
      stage: z.string(),
      message: z.string(),
      bytes: z.number().optional(),
      bytes_total: z.number().optional(),
      /** Stage `queue`: the answer's place in line (1 = next). */
      position: z.number().optional(),
    })
    .optional(),
});
export type ChatTurn = z.infer<typeof ChatTurn>;

/** The longest answer a conversation may ask for. */
export const MAX_TOKENS_LIMIT = 32_768;

/** A conversation: its turns and the model (and node) it talks to. */
export const Conversation = z.object({
  id: z.string(),
  title: z.string(),
  model: z.string(),
  node: z.string().nullable(),
  max_tokens: z.number().int().min(1).max(MAX_TOKENS_LIMIT),
  created_ms: z.number(),
  updated_ms: z.number(),
  turns: z.array(ChatTurn),
});
export type Conversation = z.infer<typeof Conversation>;

/** Every conversation, most recently used first, and the one on screen. */
export interface ChatState {
  readonly conversations: readonly Conversation[];
  readonly activeId: string | null;
}

export const EMPTY_CHAT: ChatState = { conversations: [], activeId: null };
export const DEFAULT_MAX_TOKENS = 1024;
const TITLE_LENGTH = 48;

/** What a new conversation starts with: the last model and node the user chose. */
export interface ConversationSeed {
  readonly id: string;
  readonly now: number;
  readonly model: string;
  readonly node: string | null;
  readonly max_tokens?: number;
}

/** Adds an empty conversation and shows it. */
export function newConversation(state: ChatState, seed: ConversationSeed): ChatState {
  const conversation: Conversation = {
    id: seed.id,
    title: "",
    model: seed.model,
    node: seed.node,
    max_tokens: seed.max_tokens ?? DEFAULT_MAX_TOKENS,
    created_ms: seed.now,
    updated_ms: seed.now,
    turns: [],
  };
  return { conversations: [conversation, ...state.conversations], activeId: seed.id };
}

/** Removes a conversation; the next one (or none) is shown. */
export function deleteConversation(state: ChatState, id: string): ChatState {
  const index = state.conversations.findIndex((c) => c.id === id);
  if (index < 0) return state;
  const conversations = state.conversations.filter((c) => c.id !== id);
  const activeId =
    state.activeId === id ? (conversations[Math.min(index, conversations.length - 1)]?.id ?? null) : state.activeId;
  return { conversations, activeId };
}

/** Shows a conversation. */
export function selectConversation(state: ChatState, id: string): ChatState {
  return state.conversations.some((c) => c.id === id) ? { ...state, activeId: id } : state;
}

/** Changes what a conversation talks to (model, node, answer length). */
export function configureConversation(
  state: ChatState,
  id: string,
  settings: Partial<Pick<Conversation, "model" | "node" | "max_tokens">>,
): ChatState {
  return updateConversation(state, id, (c) => ({ ...c, ...settings }));
}

/** Appends the user's message and an assistant answer waiting for its worker. */
export function addExchange(
  state: ChatState,
  id: string,
  exchange: { readonly userId: string; readonly answerId: string; readonly text: string; readonly now: number },
): ChatState {
  const conversation = state.conversations.find((c) => c.id === id);
  if (!conversation) return state;
  const updated: Conversation = {
    ...conversation,
    title: conversation.title || titleOf(exchange.text),
    updated_ms: exchange.now,
    turns: [
      ...conversation.turns,
      { id: exchange.userId, role: "user", content: exchange.text, created_ms: exchange.now },
      { id: exchange.answerId, role: "assistant", content: "", created_ms: exchange.now, status: "pending" },
    ],
  };
  // The conversation in use moves to the top of the list.
  return { conversations: [updated, ...state.conversations.filter((c) => c.id !== id)], activeId: state.activeId };
}

/** Applies one stream event to an answer. */
export function applyAnswerEvent(state: ChatState, id: string, answerId: string, event: StreamEvent): ChatState {
  return updateAnswer(state, id, answerId, (turn) => {
    switch (event.type) {
      case "progress":
        return { ...turn, progress: progressOf(event) };
      case "started":
        return {
          ...turn,
          status: "streaming",
          progress: undefined,
          worker: { worker_id: event.worker_id, node_name: event.node_name, model_ref: event.model_ref },
        };
      case "token":
        return { ...turn, status: "streaming", progress: undefined, content: turn.content + event.t };
      case "end":
        return event.stop_reason === "cancelled"
          ? { ...stoppedAt(turn), stats: statsOf(event) }
          : { ...turn, status: "done", progress: undefined, stats: statsOf(event) };
      case "error":
        return { ...turn, status: "failed", progress: undefined, error: { code: event.code, message: event.message } };
    }
  });
}

/** Appends text that arrived in several tokens (the chat batches them per frame). */
export function appendAnswerText(state: ChatState, id: string, answerId: string, text: string): ChatState {
  if (text === "") return state;
  return updateAnswer(state, id, answerId, (turn) => ({
    ...turn,
    status: "streaming",
    progress: undefined,
    content: turn.content + text,
  }));
}

/** Ends an answer whose stream is over without saying how: stopped by the user, refused, or cut. */
export function settleAnswer(
  state: ChatState,
  id: string,
  answerId: string,
  outcome: { readonly stopped: boolean; readonly error?: { readonly code: string; readonly message: string } },
): ChatState {
  return updateAnswer(state, id, answerId, (turn) => {
    if (turn.status !== "pending" && turn.status !== "streaming") return turn;
    if (outcome.error && !outcome.stopped) return { ...turn, status: "failed", progress: undefined, error: outcome.error };
    return outcome.stopped ? stoppedAt(turn) : { ...turn, status: "done", progress: undefined };
  });
}

/** A conversation's last answer (of its `turns`) when it may be asked again: stopped or failed before any text. */
export function retryableAnswer(turns: readonly ChatTurn[]): ChatTurn | undefined {
  const last = turns[turns.length - 1];
  const question = turns[turns.length - 2];
  if (last?.role !== "assistant" || question?.role !== "user" || last.content !== "") return undefined;
  return last.status === "stopped" || last.status === "failed" ? last : undefined;
}

/** Replaces a retryable last answer with a new one waiting for its worker: the same question asked again. */
export function retryAnswer(state: ChatState, id: string, retry: { readonly answerId: string; readonly now: number }): ChatState {
  return updateConversation(state, id, (c) => {
    if (!retryableAnswer(c.turns)) return c;
    const answer: ChatTurn = { id: retry.answerId, role: "assistant", content: "", created_ms: retry.now, status: "pending" };
    return { ...c, updated_ms: retry.now, turns: [...c.turns.slice(0, -1), answer] };
  });
}

/** A stopped answer; one stopped in a cold start remembers the step (and bytes) it had reached. */
function stoppedAt(turn: ChatTurn): ChatTurn {
  const progress = turn.status === "pending" && turn.progress && turn.progress.stage !== "queue" ? turn.progress : undefined;
  const interrupted = progress
    ? {
        stage: progress.stage,
        ...(progress.bytes !== undefined ? { bytes: progress.bytes } : {}),
        ...(progress.bytes_total !== undefined ? { bytes_total: progress.bytes_total } : {}),
      }
    : undefined;
  return { ...turn, status: "stopped", progress: undefined, ...(interrupted ? { interrupted } : {}) };
}

/**
 * The conversation up to (not including) `answerId`, as chat messages for the model: failed
 * answers and empty turns are left out, a stopped answer counts as what was said.
 */
export function historyFor(conversation: Conversation, answerId: string): ContractChatMessage[] {
  const end = conversation.turns.findIndex((turn) => turn.id === answerId);
  const turns = end >= 0 ? conversation.turns.slice(0, end) : conversation.turns;
  return turns
    .filter((turn) => turn.content.trim() !== "" && turn.status !== "failed")
    .map((turn) => ({ role: turn.role, content: turn.content }));
}

/** Whether any answer of a conversation is still running. */
export function isAnswering(conversation: Conversation): boolean {
  return conversation.turns.some((turn) => turn.status === "pending" || turn.status === "streaming");
}

/** A conversation's title from its first message: one line, cut at a word. */
export function titleOf(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= TITLE_LENGTH) return line;
  const cut = line.slice(0, TITLE_LENGTH);
  const space = cut.lastIndexOf(" ");
  return `${(space > TITLE_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function progressOf(event: ProgressEvent): NonNullable<ChatTurn["progress"]> {
  return {
    stage: event.stage,
    message: event.message,
    ...(event.bytes !== undefined ? { bytes: event.bytes } : {}),
    ...(event.bytes_total !== undefined ? { bytes_total: event.bytes_total } : {}),
    ...(event.position !== undefined ? { position: event.position } : {}),
  };
}

function statsOf(event: EndEvent): NonNullable<ChatTurn["stats"]> {
  return {
    ...(event.tokens_in !== undefined ? { tokens_in: event.tokens_in } : {}),
    ...(event.tokens_cached !== undefined ? { tokens_cached: event.tokens_cached } : {}),
    tokens_out: event.tokens_out,
    decode_ms: event.decode_ms,
    ttft_ms: event.ttft_ms,
    stop_reason: event.stop_reason,
  };
}

function updateConversation(state: ChatState, id: string, change: (c: Conversation) => Conversation): ChatState {
  let changed = false;
  const conversations = state.conversations.map((c) => {
    if (c.id !== id) return c;
    const next = change(c);
    changed = next !== c;
    return next;
  });
  return changed ? { ...state, conversations } : state;
}

function updateAnswer(state: ChatState, id: string, answerId: string, change: (turn: ChatTurn) => ChatTurn): ChatState {
  return updateConversation(state, id, (c) => {
    const index = c.turns.findIndex((turn) => turn.id === answerId);
    const turn = c.turns[index];
    if (!turn) return c;
    const next = change(turn);
    if (next === turn) return c;
    const turns = [...c.turns];
    turns[index] = next;
    return { ...c, turns };
  });
}

// ---- Persistence -------------------------------------------------------------------------------

/** Where conversations are kept between runs of the app. */
export const CHAT_STORAGE_KEY = "rbee.chat.v1";

const StoredChat = z.object({
  version: z.literal(1),
  activeId: z.string().nullable(),
  conversations: z.array(Conversation),
});

/** The state as stored: no transient progress. */
export function serializeChat(state: ChatState): string {
  return JSON.stringify({
    version: 1,
    activeId: state.activeId,
    conversations: state.conversations.map((c) => ({
      ...c,
      turns: c.turns.map(({ progress: _progress, ...turn }) => turn),
    })),
  });
}

/**
 * Reads stored conversations. Anything unreadable gives an empty chat rather than a broken view;
 * answers that were running when the app went away are marked stopped.
 */
export function deserializeChat(text: string | null): ChatState {
  if (!text) return EMPTY_CHAT;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return EMPTY_CHAT;
  }
  const parsed = StoredChat.safeParse(json);
  if (!parsed.success) return EMPTY_CHAT;
  const conversations = parsed.data.conversations.map((c) => ({
    ...c,
    turns: c.turns.map((turn) =>
      turn.status === "pending" || turn.status === "streaming" ? { ...turn, status: "stopped" as const } : turn,
    ),
  }));
  const activeId = conversations.some((c) => c.id === parsed.data.activeId) ? parsed.data.activeId : (conversations[0]?.id ?? null);
  return { conversations, activeId };
}
