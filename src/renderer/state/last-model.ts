import { ModelRef } from "../../shared/contract/workers.js";

/** Where the last model sent to is kept, apart from the conversations: it outlives deleting them all. */
export const LAST_MODEL_STORAGE_KEY = "rbee.chat.last-model.v1";

/** The model the last message went to, or "" when none was sent yet (or storage holds something else). */
export function readLastModel(storage: Pick<Storage, "getItem"> | null): string {
  try {
    const parsed = ModelRef.safeParse(storage?.getItem(LAST_MODEL_STORAGE_KEY));
    return parsed.success ? parsed.data : "";
  } catch {
    return "";
  }
}

/** Keeps the model a message was just sent to, for the next conversation and the next start of the app. */
export function rememberModel(storage: Pick<Storage, "setItem"> | null, model: string): void {
  try {
    storage?.setItem(LAST_MODEL_STORAGE_KEY, model);
  } catch {
    // A full or disabled storage only costs the remembered choice.
  }
}
