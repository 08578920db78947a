import { useEffect } from "react";

/** While an answer runs, Esc stops it from anywhere in the view (not when a dialog has it). */
export function useStopOnEscape(answering: boolean, stop: () => void): void {
  useEffect(() => {
    if (!answering) return;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === "Escape" && !event.defaultPrevented && !document.querySelector("dialog[open]")) {
        event.preventDefault();
        stop();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [answering, stop]);
}
