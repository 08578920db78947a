import { assertNever } from "../../shared/contract/errors.js";
import type { ProgressEvent, ProgressStage } from "../../shared/contract/streams.js";
import { formatBytes } from "./format.js";

/** A progress event as a progress bar shows it. */
export interface ProgressView {
  /** The step in a word or two ("Downloading"). */
  readonly step: string;
  /** The queen's own words about it. */
  readonly message: string;
  /** 0…1 when the bytes (or the step's own fraction) are known, else null (an indeterminate bar). */
  readonly fraction: number | null;
  /** "42% · 280 MiB of 670 MiB" when the bytes are known, "42%" from a fraction alone. */
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

/**
 * Describes one progress event for a progress bar: step, words, and how far it is: from its bytes
 * when known, else from its `fraction` (a build reports its share of the compile), else unknown.
 */
export function describeProgress(event: Omit<ProgressEvent, "type">): ProgressView {
  const { bytes, bytes_total: total } = event;
  const step = stageStep(event.stage);
  if (bytes !== undefined && total !== undefined && total > 0) {
    const fraction = clamp(bytes / total);
    return { step, message: event.message, fraction, amount: `${percent(fraction)}% · ${formatBytes(bytes)} of ${formatBytes(total)}` };
  }
  if (event.fraction !== undefined) {
    const fraction = clamp(event.fraction);
    return { step, message: event.message, fraction, amount: `${percent(fraction)}%` };
  }
  return { step, message: event.message, fraction: null, amount: null };
}

function clamp(fraction: number): number {
  return Math.min(1, Math.max(0, fraction));
}

function percent(fraction: number): number {
  return Math.floor(fraction * 100);
}
