import { useCallback, useLayoutEffect, useRef, useState, type RefObject, type UIEvent } from "react";

// Within this many pixels of the end counts as "at the end".
const END_SLACK_PX = 24;

/**
 * Keeps a scrolling log at its end as lines arrive (`size` changes), until the reader scrolls up;
 * scrolling back down, or `jumpToEnd`, follows again. `atEnd` says which it is.
 */
export function useTailScroll(size: number): {
  readonly ref: RefObject<HTMLDivElement | null>;
  readonly onScroll: (event: UIEvent<HTMLDivElement>) => void;
  readonly atEnd: boolean;
  readonly jumpToEnd: () => void;
} {
  const ref = useRef<HTMLDivElement>(null);
  const [atEnd, setAtEnd] = useState(true);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element && stick.current) element.scrollTop = element.scrollHeight;
  }, [size]);

  const onScroll = (event: UIEvent<HTMLDivElement>): void => {
    const element = event.currentTarget;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < END_SLACK_PX;
    setAtEnd(stick.current);
  };
  const jumpToEnd = useCallback(() => {
    stick.current = true;
    setAtEnd(true);
    const element = ref.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, []);
  return { ref, onScroll, atEnd, jumpToEnd };
}
