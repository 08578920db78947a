import { assertNever } from "../../shared/contract/errors.js";
import type { ProgressEvent, ProgressStage } from "../../shared/contract/streams.js";
import { formatBytes } from "./format.js";

/** A progress event as a progress bar shows it. */
export interface ProgressView {
  /** The step in a word or two ("Downloading"). */
  readonly step: string;
  /** The queen's own words about it. */
  readonly message: string;
  /** 0…1 when the bytes are known, else null (an indeterminate bar). */
  readonly fraction: number | null;
  /** "42% · 280 MiB of 670 MiB" when the bytes are known. */
  readonly amount: string | null;
}

/** The step of a stage, as the user reads it. */
export function stageStep(stage: ProgressStage): string {
  switch (stage) {
    case "ssh":
      return "Connecting";
    case "install":
      return "Installing";
    case "hive":
      return "Starting the hive";
    case "download":
      return "Downloading";
    case "copy":
      return "Copying from another node";
    case "build":
      return "Building llama.cpp";
    case "shard":
      return "Starting the shards";
    case "queue":
      return "Waiting in line";
    case "spawn":
      return "Spawning";
    case "loading":
      return "Loading the model";
    default:
      return assertNever(stage);
  }
}

/** Describes one progress event for a progress bar: step, words, and the fraction when bytes are known. */
export function describeProgress(event: Omit<ProgressEvent, "type">): ProgressView {
  const { bytes, bytes_total: total } = event;
  const known = bytes !== undefined && total !== undefined && total > 0;
  const fraction = known ? Math.min(1, Math.max(0, bytes / total)) : null;
  return {
    step: stageStep(event.stage),
    message: event.message,
    fraction,
    amount: known ? `${Math.floor((fraction ?? 0) * 100)}% · ${formatBytes(bytes)} of ${formatBytes(total)}` : null,
  };
}
