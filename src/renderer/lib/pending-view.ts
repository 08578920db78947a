import { ProgressStage } from "../../shared/contract/streams.js";
import { placeInLine } from "../../shared/ordinal.js";
import { describeProgress, stageStep, type ProgressView } from "./progress-text.js";

/** The latest progress of an answer no worker runs yet, as the chat keeps it (the stage as stored). */
export interface PendingProgress {
  readonly stage: string;
  readonly message: string;
  readonly bytes?: number | undefined;
  readonly bytes_total?: number | undefined;
  readonly position?: number | undefined;
}

/** A stage of a cold start: every stage but `queue`, which is a wait for a running worker's slot. */
export type ColdStartStage = Exclude<ProgressStage, "queue">;

/** What a pending answer shows: the search for a worker, its place in line, or a step of a cold start. */
export type PendingView =
  | { readonly kind: "finding" }
  | { readonly kind: "queue"; readonly place: string; readonly message: string }
  | { readonly kind: "cold-start"; readonly stage: ColdStartStage; readonly progress: ProgressView };

/** Sorts a pending answer's progress: none (or a stage this renderer does not know) is still finding a worker. */
export function pendingView(progress: PendingProgress | undefined): PendingView {
  const stage = ProgressStage.safeParse(progress?.stage);
  if (!progress || !stage.success) return { kind: "finding" };
  if (stage.data === "queue") {
    // A queue event without a position still says it waits.
    const place = progress.position !== undefined ? placeInLine(progress.position) : stageStep("queue");
    return { kind: "queue", place, message: progress.message };
  }
  return { kind: "cold-start", stage: stage.data, progress: describeProgress({ ...progress, stage: stage.data }) };
}
