import type { RbeeApi, StreamHandle } from "../../shared/contract/api.js";
import { RbeeError } from "../../shared/contract/errors.js";
import type { ChatMessage, InferenceRequest } from "../../shared/contract/inference.js";
import type { StreamEvent } from "../../shared/contract/streams.js";

/** One answer to ask for: the conversation so far (ending with the user's message) and where to run it. */
export interface ChatTurnRequest {
  readonly model: string;
  readonly node: string | null;
  readonly messages: readonly ChatMessage[];
  readonly max_tokens: number;
}

/** How the turn was sent in the end: as chat messages, or as a prompt built from them. */
export type ChatTurnForm = "messages" | "prompt";

export interface ChatTurnCallbacks {
  readonly onEvent: (event: StreamEvent) => void;
  /** A worker refused the messages: the answer starts over as a plain prompt. */
  readonly onRetry?: (form: ChatTurnForm) => void;
}

// The prompt fallback speaks as a transcript; this keeps the model from writing the user's next line.
const TRANSCRIPT_STOP = ["\nUser:"];

/**
 * Asks for one answer. The conversation goes as `messages` (the worker applies the model's chat
 * template); a worker that does not take messages yet answers INVALID_REQUEST before any token, and
 * the turn is then sent again as a prompt built from the same turns. Cancel stops whichever attempt runs.
 */
export function runChatTurn(api: Pick<RbeeApi, "infer">, request: ChatTurnRequest, callbacks: ChatTurnCallbacks): StreamHandle {
  let current: StreamHandle | null = null;
  let cancelled = false;

  const attempt = async (form: ChatTurnForm): Promise<void> => {
    // Set from the event callback, hence an object rather than narrowed locals.
    const seen = { token: false, refused: false };
    const canFallBack = form === "messages";
    current = api.infer(inferenceRequest(request, form), (event) => {
      if (event.type === "token") seen.token = true;
      if (canFallBack && !seen.token && event.type === "error" && event.code === "INVALID_REQUEST") {
        seen.refused = true;
        return;
      }
      callbacks.onEvent(event);
    });
    try {
      await current.done;
    } catch (error) {
      if (!(canFallBack && error instanceof RbeeError && error.code === "INVALID_REQUEST")) throw error;
      seen.refused = true;
    }
    if (!seen.refused || cancelled) return;
    callbacks.onRetry?.("prompt");
    await attempt("prompt");
  };

  return {
    cancel() {
      cancelled = true;
      current?.cancel();
    },
    done: attempt("messages"),
  };
}

/** The inference request of a turn in one form or the other. */
export function inferenceRequest(request: ChatTurnRequest, form: ChatTurnForm): InferenceRequest {
  const common = {
    model: request.model,
    ...(request.node ? { node: request.node } : {}),
    max_tokens: request.max_tokens,
  };
  return form === "messages"
    ? { ...common, messages: [...request.messages] }
    : { ...common, prompt: transcriptPrompt(request.messages), stop: TRANSCRIPT_STOP };
}

/** A plain completion prompt that reads as the conversation so far, ending where the assistant speaks. */
export function transcriptPrompt(messages: readonly ChatMessage[]): string {
  const lines = messages.map((message) => {
    switch (message.role) {
      case "system":
        return message.content.trim();
      case "user":
        return `User: ${message.content.trim()}`;
      case "assistant":
        return `Assistant: ${message.content.trim()}`;
    }
  });
  return `${lines.join("\n")}\nAssistant:`;
}
