import type { RbeeApi, StreamHandle } from "../../shared/contract/api.js";
import type { ChatMessage, InferenceRequest } from "../../shared/contract/inference.js";
import type { StreamEvent } from "../../shared/contract/streams.js";

/** One answer to ask for: the conversation so far (ending with the user's message) and where to run it. */
export interface ChatTurnRequest {
  readonly model: string;
  readonly node: string | null;
  /** The conversation's id: the queen sends its turns to the worker that holds the conversation. */
  readonly session: string;
  readonly messages: readonly ChatMessage[];
  readonly max_tokens: number;
}

/**
 * Asks for one answer, once: the conversation goes as `messages` and the worker applies the model's
 * chat template. A refusal is an `error` event or a rejected `done`, shown as what it is.
 */
export function runChatTurn(api: Pick<RbeeApi, "infer">, request: ChatTurnRequest, onEvent: (event: StreamEvent) => void): StreamHandle {
  return api.infer(inferenceRequest(request), onEvent);
}

/** The inference request of a turn: "any node" leaves `node` out. */
export function inferenceRequest(request: ChatTurnRequest): InferenceRequest {
  return {
    model: request.model,
    ...(request.node ? { node: request.node } : {}),
    session: request.session,
    max_tokens: request.max_tokens,
    messages: [...request.messages],
  };
}
