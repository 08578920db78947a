import {
  memo,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from "react";
import type { Beehive } from "../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorBox } from "../components/error-box.js";
import { ChatIcon, PlusIcon, SendIcon, ServerIcon, SparkIcon, SpinnerIcon, StopIcon, TrashIcon } from "../components/icons.js";
import { MarkdownText } from "../components/markdown.js";
import { ProgressBar } from "../components/progress-bar.js";
import { describeCodedError } from "../lib/error-text.js";
import { formatDuration, formatRate, relativeTime, tokensPerSecond } from "../lib/format.js";
import { modelChoices, shortModelName, type ModelChoice } from "../lib/model-choices.js";
import { describeProgress } from "../lib/progress-text.js";
import { composerAction, modifierLabel } from "../lib/shortcuts.js";
import { useNow } from "../lib/use-now.js";
import { isAnswering, type ChatTurn, type Conversation } from "../state/conversations.js";
import { useChat, useFleet } from "../state/fleet-context.js";
import type { ProgressStage } from "../../shared/contract/streams.js";

/** The Chat view: conversations on the left, the shown one on the right, streamed as it is written. */
export function ChatView() {
  const { state, actions } = useChat();
  const { nodes, workers } = useFleet();
  const active = state.conversations.find((c) => c.id === state.activeId) ?? null;
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);

  // There is always a conversation to type into.
  useEffect(() => {
    if (state.conversations.length === 0) actions.newConversation();
  }, [state.conversations.length, actions]);

  const answering = active !== null && isAnswering(active);

  // Esc stops the answer from anywhere in the view.
  useEffect(() => {
    if (!answering) return;
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key === "Escape" && !event.defaultPrevented && !document.querySelector("dialog[open]")) {
        event.preventDefault();
        actions.stop();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [answering, actions]);

  const startNew = (): void => {
    actions.newConversation();
    composerRef.current?.focus();
  };

  return (
    <div className="flex h-full min-h-0">
      <aside
        aria-label="Conversations"
        className="flex w-64 shrink-0 flex-col border-r border-zinc-200 bg-white/60 dark:border-zinc-800 dark:bg-zinc-900/40"
      >
        <div className="p-2">
          <button type="button" className="btn-secondary w-full" onClick={startNew}>
            <PlusIcon className="size-4" />
            New chat
          </button>
        </div>
        <ConversationList
          conversations={state.conversations}
          activeId={state.activeId}
          onSelect={(id) => actions.select(id)}
          onDelete={setDeleting}
        />
      </aside>
      <section aria-label="Chat" className="flex min-w-0 flex-1 flex-col">
        {active ? (
          <>
            <ChatToolbar
              conversation={active}
              nodes={nodes ?? []}
              workers={workers ?? []}
              onChange={(settings) => actions.configure(active.id, settings)}
            />
            <Transcript
              conversation={active}
              nodes={nodes}
              workers={workers ?? []}
              onPickModel={(model) => {
                actions.configure(active.id, { model });
                composerRef.current?.focus();
              }}
            />
            <Composer
              key={active.id}
              inputRef={composerRef}
              answering={answering}
              hasModel={active.model.trim() !== ""}
              onSend={(text) => actions.send(text)}
              onStop={() => actions.stop()}
            />
          </>
        ) : null}
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this conversation?"
        confirmLabel="Delete"
        onConfirm={() => {
          if (deleting) actions.deleteConversation(deleting.id);
          setDeleting(null);
        }}
        onCancel={() => setDeleting(null)}
      >
        <p>
          “{deleting?.title || "New chat"}” and its {deleting?.turns.length ?? 0} messages are removed from this
          computer. The models and workers are not affected.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function ConversationList({
  conversations,
  activeId,
  onSelect,
  onDelete,
}: {
  readonly conversations: readonly Conversation[];
  readonly activeId: string | null;
  readonly onSelect: (id: string) => void;
  readonly onDelete: (conversation: Conversation) => void;
}) {
  const now = useNow();
  return (
    <ul className="min-h-0 flex-1 space-y-0.5 overflow-y-auto px-2 pb-2">
      {conversations.map((conversation) => {
        const current = conversation.id === activeId;
        const title = conversation.title || "New chat";
        return (
          <li key={conversation.id} className="group relative">
            <button
              type="button"
              aria-current={current ? "true" : undefined}
              onClick={() => onSelect(conversation.id)}
              className={`block w-full rounded-md py-1.5 pr-8 pl-2.5 text-left transition-colors ${
                current
                  ? "bg-zinc-100 ring-1 ring-zinc-200 dark:bg-zinc-800 dark:ring-zinc-700"
                  : "hover:bg-zinc-100/70 dark:hover:bg-zinc-800/50"
              }`}
            >
              <span className={`block truncate text-sm ${conversation.title ? "font-medium" : "text-zinc-500 italic dark:text-zinc-400"}`}>
                {title}
              </span>
              <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">
                {conversation.model ? shortModelName(conversation.model) : "no model"} ·{" "}
                {relativeTime(Math.floor(conversation.updated_ms / 1000), now)}
                {isAnswering(conversation) ? " · answering…" : ""}
              </span>
            </button>
            <button
              type="button"
              aria-label={`Delete conversation ${title}`}
              title="Delete conversation"
              onClick={() => onDelete(conversation)}
              className="absolute top-1.5 right-1 rounded p-1 text-zinc-400 opacity-0 transition-opacity group-hover:opacity-100 group-focus-within:opacity-100 hover:bg-red-50 hover:text-red-700 focus-visible:opacity-100 dark:hover:bg-red-500/10 dark:hover:text-red-300"
            >
              <TrashIcon className="size-3.5" />
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function ChatToolbar({
  conversation,
  nodes,
  workers,
  onChange,
}: {
  readonly conversation: Conversation;
  readonly nodes: readonly Beehive[];
  readonly workers: readonly RegisteredWorker[];
  readonly onChange: (settings: Partial<Pick<Conversation, "model" | "node" | "max_tokens">>) => void;
}) {
  const listId = useId();
  const choices = modelChoices(workers);
  const unknownNode = conversation.node !== null && !nodes.some((n) => n.node_name === conversation.node);
  return (
    <div className="flex shrink-0 flex-wrap items-end gap-3 border-b border-zinc-200 bg-white px-4 py-2.5 dark:border-zinc-800 dark:bg-zinc-900">
      <label className="min-w-56 flex-1">
        <span className="mb-1 block text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">Model</span>
        <input
          className="input font-mono text-[13px]"
          list={listId}
          aria-label="Model"
          placeholder="tinyllama, hf:org/repo/file.gguf or file:/path.gguf"
          spellCheck={false}
          autoComplete="off"
          value={conversation.model}
          onChange={(event) => onChange({ model: event.target.value })}
        />
        <datalist id={listId}>
          {choices.map((choice) => (
            <option key={choice.value} value={choice.value} label={choice.detail} />
          ))}
        </datalist>
      </label>
      <label className="w-48">
        <span className="mb-1 block text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">Node</span>
        <select
          className="input"
          aria-label="Node"
          value={conversation.node ?? ""}
          onChange={(event) => onChange({ node: event.target.value === "" ? null : event.target.value })}
        >
          <option value="">Any node</option>
          {nodes.map((node) => (
            <option key={node.node_name} value={node.node_name}>
              {node.node_name}
              {node.status === "ready" ? "" : ` (${node.status})`}
            </option>
          ))}
          {unknownNode ? <option value={conversation.node ?? ""}>{conversation.node} (removed)</option> : null}
        </select>
      </label>
      <label className="w-28">
        <span className="mb-1 block text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">
          Max tokens
        </span>
        <input
          className="input tabular-nums"
          type="number"
          aria-label="Max tokens"
          min={1}
          max={32768}
          step={1}
          value={conversation.max_tokens}
          onChange={(event) => {
            const value = Math.round(Number(event.target.value));
            if (Number.isFinite(value) && value >= 1 && value <= 32768) onChange({ max_tokens: value });
          }}
        />
      </label>
    </div>
  );
}

function Transcript({
  conversation,
  nodes,
  workers,
  onPickModel,
}: {
  readonly conversation: Conversation;
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[];
  readonly onPickModel: (model: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const last = conversation.turns[conversation.turns.length - 1];

  // Follows the answer as it grows, unless the reader scrolled up to read something.
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [conversation.turns.length, last?.content, last?.status, last?.progress]);
  useLayoutEffect(() => {
    stickToBottom.current = true;
  }, [conversation.id]);

  return (
    <div
      ref={scrollRef}
      onScroll={(event) => {
        const element = event.currentTarget;
        stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
      }}
      className="min-h-0 flex-1 overflow-y-auto"
    >
      {conversation.turns.length === 0 ? (
        <ChatEmptyState conversation={conversation} nodes={nodes} workers={workers} onPickModel={onPickModel} />
      ) : (
        <ol aria-label="Messages" className="mx-auto flex max-w-3xl flex-col gap-5 px-6 py-6">
          {conversation.turns.map((turn) =>
            turn.role === "user" ? <UserMessage key={turn.id} turn={turn} /> : <AssistantMessage key={turn.id} turn={turn} />,
          )}
        </ol>
      )}
    </div>
  );
}

const UserMessage = memo(function UserMessage({ turn }: { readonly turn: ChatTurn }) {
  return (
    <li className="flex justify-end" data-testid="chat-question">
      <div className="max-w-[85%] rounded-2xl rounded-br-md bg-zinc-900 px-3.5 py-2 text-[14.5px] leading-relaxed whitespace-pre-wrap text-white shadow-xs dark:bg-amber-400 dark:text-zinc-950">
        {turn.content}
      </div>
    </li>
  );
});

const AssistantMessage = memo(function AssistantMessage({ turn }: { readonly turn: ChatTurn }) {
  const status = turn.status ?? "done";
  const streaming = status === "streaming" || status === "pending";
  return (
    <li data-testid="chat-answer" data-status={status} aria-busy={streaming} className="flex gap-3">
      <div
        aria-hidden="true"
        className="mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-lg bg-amber-100 text-amber-700 ring-1 ring-amber-600/15 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20"
      >
        <SparkIcon className="size-4" />
      </div>
      <div className="min-w-0 flex-1 pt-0.5">
        {status === "pending" ? <ColdStart progress={turn.progress} /> : null}
        {turn.content !== "" ? (
          <div data-testid="answer-text">
            <MarkdownText text={turn.content} streaming={status === "streaming"} />
          </div>
        ) : status === "streaming" ? (
          <p className="flex items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400">
            <SpinnerIcon className="size-4" />
            Thinking…
          </p>
        ) : null}
        {status === "failed" && turn.error ? (
          <ErrorBox className={turn.content ? "mt-3" : ""} text={describeCodedError(turn.error, {})} />
        ) : null}
        {status === "done" || status === "stopped" ? <AnswerStats turn={turn} /> : null}
      </div>
    </li>
  );
});

const STAGES: readonly ProgressStage[] = ["ssh", "install", "hive", "download", "spawn", "loading"];

function ColdStart({ progress }: { readonly progress: ChatTurn["progress"] }) {
  const stage = STAGES.find((s) => s === progress?.stage);
  if (!progress || !stage) {
    return (
      <p className="flex items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="cold-start">
        <SpinnerIcon className="size-4" />
        Finding a worker…
      </p>
    );
  }
  const view = describeProgress({ ...progress, stage });
  return (
    <div
      data-testid="cold-start"
      className="max-w-md rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-xs dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex items-baseline justify-between gap-3">
        <p className="font-medium">
          Starting a worker: <span data-testid="cold-start-step">{view.step}</span>
        </p>
        {view.amount ? <span className="shrink-0 text-xs tabular-nums text-zinc-500 dark:text-zinc-400">{view.amount}</span> : null}
      </div>
      <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400" title={view.message}>
        {view.message}
      </p>
      <ProgressBar className="mt-2.5" fraction={view.fraction} label={`Cold start: ${view.step}`} />
      <StageTrail current={stage} />
    </div>
  );
}

const TRAIL: readonly { readonly stages: readonly ProgressStage[]; readonly label: string }[] = [
  { stages: ["ssh"], label: "Connect" },
  { stages: ["install", "hive"], label: "Install" },
  { stages: ["download"], label: "Download" },
  { stages: ["spawn"], label: "Spawn" },
  { stages: ["loading"], label: "Load" },
];

function StageTrail({ current }: { readonly current: ProgressStage }) {
  const index = TRAIL.findIndex((step) => step.stages.includes(current));
  return (
    <ol className="mt-2 flex gap-3 text-[11px] text-zinc-400 dark:text-zinc-500" aria-hidden="true">
      {TRAIL.map((step, i) => (
        <li
          key={step.label}
          className={i === index ? "font-semibold text-amber-700 dark:text-amber-300" : i < index ? "text-zinc-600 dark:text-zinc-400" : ""}
        >
          {step.label}
        </li>
      ))}
    </ol>
  );
}

function AnswerStats({ turn }: { readonly turn: ChatTurn }) {
  const stats = turn.stats;
  const stopped = turn.status === "stopped";
  return (
    <p data-testid="answer-stats" className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-500 dark:text-zinc-400">
      {stopped ? (
        <span className="rounded-full bg-zinc-100 px-2 py-0.5 font-medium text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          Stopped
        </span>
      ) : null}
      {stats?.stop_reason === "max_tokens" ? (
        <span
          className="rounded-full bg-amber-50 px-2 py-0.5 font-medium text-amber-800 dark:bg-amber-400/10 dark:text-amber-300"
          title="The answer reached the conversation's Max tokens; raise it to get longer answers."
        >
          Cut at max tokens
        </span>
      ) : null}
      {stats ? (
        <>
          <span title="Time to first token">
            TTFT <span className="tabular-nums text-zinc-700 dark:text-zinc-300">{formatDuration(stats.ttft_ms)}</span>
          </span>
          <span title="Generation speed after the first token">
            <span className="tabular-nums text-zinc-700 dark:text-zinc-300">{formatRate(tokensPerSecond(stats))}</span>
          </span>
          <span className="tabular-nums">{stats.tokens_out} tokens</span>
        </>
      ) : null}
      {turn.worker ? (
        <span title={`${turn.worker.worker_id} · ${turn.worker.model_ref}`}>
          on <span className="text-zinc-700 dark:text-zinc-300">{turn.worker.node_name}</span>
        </span>
      ) : null}
    </p>
  );
}

function ChatEmptyState({
  conversation,
  nodes,
  workers,
  onPickModel,
}: {
  readonly conversation: Conversation;
  readonly nodes: readonly Beehive[] | null;
  readonly workers: readonly RegisteredWorker[];
  readonly onPickModel: (model: string) => void;
}) {
  const mod = modifierLabel(navigator.platform);
  if (nodes !== null && nodes.length === 0) {
    return (
      <EmptyPanel icon={<ServerIcon className="size-6" />} title="Add a machine to chat with">
        <p>
          Answers come from models running on your own machines. Register one in{" "}
          <a href="#/nodes" className="font-medium text-amber-700 underline underline-offset-2 dark:text-amber-300">
            Nodes
          </a>{" "}
          ({mod}+1), install rbee on it, then come back here: the first message starts a worker by itself.
        </p>
      </EmptyPanel>
    );
  }
  const choices: readonly ModelChoice[] = modelChoices(workers);
  return (
    <EmptyPanel icon={<ChatIcon className="size-6" />} title={conversation.model ? `Ask ${shortModelName(conversation.model)} anything` : "Choose a model to start"}>
      <p>
        Pick a model above: a catalog alias (downloaded on first use), one already loaded on a worker, or any model_ref
        such as <code className="kbd">hf:org/repo/file.gguf</code>. The first message starts a worker if none runs it.
      </p>
      {choices.length > 0 ? (
        <div className="mt-4 flex flex-wrap justify-center gap-2">
          {choices.map((choice) => (
            <button
              key={choice.value}
              type="button"
              onClick={() => onPickModel(choice.value)}
              className={`rounded-lg border px-3 py-1.5 text-left text-xs transition-colors ${
                conversation.model === choice.value
                  ? "border-amber-500 bg-amber-50 dark:bg-amber-400/10"
                  : "border-zinc-200 bg-white hover:border-zinc-300 dark:border-zinc-700 dark:bg-zinc-900 dark:hover:border-zinc-600"
              }`}
            >
              <span className="block max-w-56 truncate font-mono text-[12.5px] font-medium text-zinc-900 dark:text-zinc-100">
                {shortModelName(choice.value)}
              </span>
              <span className="block text-zinc-500 dark:text-zinc-400">{choice.detail}</span>
            </button>
          ))}
        </div>
      ) : null}
      <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400">
        <kbd className="kbd">Enter</kbd> sends · <kbd className="kbd">Shift</kbd>+<kbd className="kbd">Enter</kbd> new line ·{" "}
        <kbd className="kbd">Esc</kbd> stops the answer
      </p>
    </EmptyPanel>
  );
}

function EmptyPanel({ icon, title, children }: { readonly icon: ReactNode; readonly title: string; readonly children: ReactNode }) {
  return (
    <div className="mx-auto flex max-w-xl flex-col items-center px-6 py-16 text-center">
      <div className="mb-4 flex size-11 items-center justify-center rounded-xl bg-amber-100 text-amber-700 ring-1 ring-amber-600/15 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20">
        {icon}
      </div>
      <h2 className="text-base font-semibold">{title}</h2>
      <div className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">{children}</div>
    </div>
  );
}

function Composer({
  inputRef,
  answering,
  hasModel,
  onSend,
  onStop,
}: {
  readonly inputRef: RefObject<HTMLTextAreaElement | null>;
  readonly answering: boolean;
  readonly hasModel: boolean;
  readonly onSend: (text: string) => boolean;
  readonly onStop: () => void;
}) {
  const [text, setText] = useState("");
  const canSend = hasModel && !answering && text.trim() !== "";

  const send = (): void => {
    if (!canSend) return;
    if (onSend(text)) setText("");
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    const action = composerAction(event.nativeEvent);
    if (action === "send") {
      event.preventDefault();
      send();
    } else if (action === "stop" && answering) {
      event.preventDefault();
      onStop();
    }
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    send();
  };

  useEffect(() => inputRef.current?.focus(), [inputRef]);

  return (
    <form onSubmit={submit} className="shrink-0 border-t border-zinc-200 bg-white px-4 pt-3 pb-2 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="mx-auto flex max-w-3xl items-end gap-2">
        <textarea
          ref={inputRef}
          aria-label="Message"
          rows={1}
          value={text}
          placeholder={hasModel ? "Send a message…" : "Choose a model above, then write here…"}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          className="input field-sizing-content h-auto max-h-48 min-h-10 resize-none py-2 leading-normal"
        />
        {answering ? (
          <button type="button" className="btn-secondary h-10 px-3.5" onClick={onStop} title="Stop the answer (Esc)">
            <StopIcon className="size-4" />
            Stop
          </button>
        ) : (
          <button type="submit" className="btn-primary h-10 px-3.5" disabled={!canSend} title="Send (Enter)">
            <SendIcon className="size-4" />
            Send
          </button>
        )}
      </div>
      <p className="mx-auto mt-1.5 max-w-3xl text-[11px] text-zinc-400 dark:text-zinc-500">
        Enter sends · Shift+Enter for a new line · Esc stops · answers run on your own machines
      </p>
    </form>
  );
}
