import { useEffect, useState, type FormEvent, type KeyboardEvent, type RefObject } from "react";
import { SendIcon, StopIcon } from "../../components/icons.js";
import { composerAction } from "../../lib/shortcuts.js";

/** The message box: Enter sends, Shift+Enter breaks the line, Esc stops; Send turns into Stop while answering. */
export function Composer({
  inputRef,
  answering,
  hasModel,
  onSend,
  onStop,
}: {
  readonly inputRef: RefObject<HTMLTextAreaElement | null>;
  readonly answering: boolean;
  readonly hasModel: boolean;
  /** False when the message could not be sent now: the text then stays. */
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
