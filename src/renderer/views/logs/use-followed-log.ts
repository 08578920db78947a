import { useEffect, useState } from "react";
import { describeCodedError, describeError, type ErrorText } from "../../lib/error-text.js";
import { useApi } from "../../state/fleet-context.js";
import { EMPTY_LOG_BUFFER, appendLines, type LogBuffer } from "./log-buffer.js";

/** Which log: a node's hive log, or one of its workers'. */
export interface LogTarget {
  readonly node: string;
  readonly worker?: string | undefined;
}

/** Where a followed log is: waiting for its first answer, following, over (a worker's exit), or failed. */
export type FollowState =
  | { readonly kind: "connecting" }
  | { readonly kind: "following" }
  | { readonly kind: "ended" }
  | { readonly kind: "failed"; readonly error: ErrorText };

/** Lines shown when the panel opens, before the new ones. */
const INITIAL_LINES = 500;

/**
 * Follows a log through the queen while mounted: its last lines, then each new one, kept in a
 * bounded buffer. Lines that arrive together are shown in one render (one per animation frame).
 */
export function useFollowedLog(target: LogTarget): { readonly buffer: LogBuffer; readonly state: FollowState } {
  const api = useApi();
  const [buffer, setBuffer] = useState<LogBuffer>(EMPTY_LOG_BUFFER);
  const [state, setState] = useState<FollowState>({ kind: "connecting" });

  useEffect(() => {
    setBuffer(EMPTY_LOG_BUFFER);
    setState({ kind: "connecting" });
    let pending: string[] = [];
    let frame: number | undefined;
    const flush = (): void => {
      frame = undefined;
      const added = pending;
      pending = [];
      setBuffer((current) => appendLines(current, added));
    };
    let stopped = false;
    const handle = api.followLogs({ node: target.node, ...(target.worker ? { worker: target.worker } : {}), lines: INITIAL_LINES }, (event) => {
      if (event.type === "error") {
        setState({ kind: "failed", error: describeCodedError(event) });
        return;
      }
      setState((current) => (current.kind === "connecting" ? { kind: "following" } : current));
      pending.push(event.line);
      frame ??= requestAnimationFrame(flush);
    });
    handle.done.then(
      () => {
        if (!stopped) setState((current) => (current.kind === "failed" ? current : { kind: "ended" }));
      },
      (error: unknown) => {
        if (!stopped) setState({ kind: "failed", error: describeError(error) });
      },
    );
    // A quiet log still counts as followed once the queen accepted it.
    const accepted = setTimeout(() => setState((current) => (current.kind === "connecting" ? { kind: "following" } : current)), 1500);
    return () => {
      stopped = true;
      clearTimeout(accepted);
      if (frame !== undefined) cancelAnimationFrame(frame);
      handle.cancel();
    };
  }, [api, target.node, target.worker]);

  return { buffer, state };
}
