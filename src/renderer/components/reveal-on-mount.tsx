import { useCallback, type ReactNode } from "react";

/** A block that scrolls itself into view (as little as it takes) when it appears: a message must not land below the fold. */
export function RevealOnMount({ children }: { readonly children: ReactNode }) {
  // A stable ref callback runs once, when the block is mounted; not again on each render.
  const reveal = useCallback((element: HTMLDivElement | null) => element?.scrollIntoView({ block: "nearest" }), []);
  return <div ref={reveal}>{children}</div>;
}
