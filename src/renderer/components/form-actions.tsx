import type { ReactNode } from "react";

/** The button bar at the foot of a dialog: buttons on the right, a status line may take the left. */
export function FormActions({ children }: { readonly children: ReactNode }) {
  return (
    <div className="flex shrink-0 items-center justify-end gap-2 border-t border-zinc-200 bg-zinc-50 px-5 py-3 dark:border-zinc-800 dark:bg-zinc-900/60">
      {children}
    </div>
  );
}
