import type { ProgressEvent } from "../../shared/contract/index.js";

/** Receives progress of long work (install, spawn). */
export type ProgressSink = (event: Omit<ProgressEvent, "type">) => void;
