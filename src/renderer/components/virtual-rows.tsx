import { useVirtualizer, type VirtualItem } from "@tanstack/react-virtual";
import { useCallback, useLayoutEffect, useRef, useState } from "react";

/**
 * What the list views scroll in: the app's <main> (not merely the nearest box with an overflow,
 * such as the table's own sideways-scrolling wrapper), else the page.
 */
function scrollRoot(element: HTMLElement): HTMLElement | null {
  return element.closest("main") ?? (document.scrollingElement as HTMLElement | null);
}

export interface VirtualRows {
  /** A ref for the element that sits where the first row starts (the spacer before the rows). */
  readonly anchorRef: (element: HTMLElement | null) => void;
  /** The rows to put in the DOM: the ones on screen and a few either side. */
  readonly items: readonly VirtualItem[];
  /** The heights of the rows left out above and below, for the spacers. */
  readonly before: number;
  readonly after: number;
  /** On each row's element (with `data-index`): its real height replaces the estimate. */
  readonly measure: (element: Element | null) => void;
}

/**
 * Virtualises the rows of a table that scrolls with the page: only the rows in or near the
 * viewport are in the DOM, so a list of thousands costs what a screenful does to render and
 * update. Row heights start as `estimate` and are measured once shown. Until the table is laid
 * out, a first screenful is rendered (the estimate against a 1280×800 window).
 */
export function useVirtualRows({ count, estimate, overscan = 8 }: { readonly count: number; readonly estimate: number; readonly overscan?: number }): VirtualRows {
  const anchor = useRef<HTMLElement | null>(null);
  const anchorRef = useCallback((element: HTMLElement | null) => {
    anchor.current = element;
  }, []);
  const [scroller, setScroller] = useState<HTMLElement | null>(null);
  const [margin, setMargin] = useState(0);

  useLayoutEffect(() => {
    const start = anchor.current;
    const parent = start ? scrollRoot(start) : null;
    setScroller(parent);
    if (!start || !parent) return;
    // What is above the table (notices, running spawns) moves its rows down: follow it.
    const place = (): void => setMargin(start.getBoundingClientRect().top - parent.getBoundingClientRect().top + parent.scrollTop);
    place();
    const observer = new ResizeObserver(place);
    observer.observe(parent.firstElementChild ?? parent);
    return () => observer.disconnect();
  }, []);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller,
    estimateSize: () => estimate,
    overscan,
    scrollMargin: margin,
    initialRect: { width: 1280, height: 800 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items.at(-1);
  return {
    anchorRef,
    items,
    before: first ? first.start - margin : 0,
    after: last ? Math.max(0, virtualizer.getTotalSize() - (last.end - margin)) : 0,
    measure: virtualizer.measureElement,
  };
}

/** A row of the height of the rows left out, so that the table keeps its full height and scrollbar. */
export function SpacerRow({ height, columns, anchorRef }: { readonly height: number; readonly columns: number; readonly anchorRef?: (element: HTMLElement | null) => void }) {
  return (
    <tr ref={anchorRef} aria-hidden="true" style={{ height }}>
      {height > 0 ? <td colSpan={columns} className="p-0" /> : null}
    </tr>
  );
}
