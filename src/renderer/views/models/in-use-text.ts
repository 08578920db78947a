import type { ErrorText } from "../../lib/error-text.js";
import { shortModelName } from "../../lib/model-choices.js";

/** A MODEL_IN_USE refusal in words: which workers hold the file and what to do. */
export function inUseText(target: { readonly node_name: string; readonly model: { readonly file: string; readonly workers: readonly string[] } }, message: string): ErrorText {
  const { workers } = target.model;
  const who = workers.length === 0 ? "A worker" : workers.length === 1 ? `Worker ${workers[0]}` : `Workers ${workers.join(", ")}`;
  return {
    title: `${shortModelName(target.model.file)} is in use on ${target.node_name}`,
    message: `${who} ${workers.length > 1 ? "have" : "has"} it loaded, so the node keeps the file. (${message})`,
    hint: "Stop the worker in Workers (Stop on its row), then remove the model.",
  };
}
