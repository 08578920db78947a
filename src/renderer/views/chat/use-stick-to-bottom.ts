import { useLayoutEffect, useRef, type RefObject, type UIEvent } from "react";

// Within this many pixels of the end counts as "at the bottom".
const BOTTOM_SLACK_PX = 48;

/**
 * Keeps a scrolling box at its end whenever `growth` changes, unless the reader scrolled up to
 * read something; a new `key` (another conversation) follows again.
 */
export function useStickToBottom(
  key: string,
  growth: readonly unknown[],
): { readonly ref: RefObject<HTMLDivElement | null>; readonly onScroll: (event: UIEvent<HTMLDivElement>) => void } {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element && stick.current) element.scrollTop = element.scrollHeight;
    // The caller names what growing means (a fixed number of values).
  }, growth);
  useLayoutEffect(() => {
    stick.current = true;
  }, [key]);

  const onScroll = (event: UIEvent<HTMLDivElement>): void => {
    const element = event.currentTarget;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < BOTTOM_SLACK_PX;
  };
  return { ref, onScroll };
}
