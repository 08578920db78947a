import type { ReactNode } from "react";

/** One row of a DataTable, lit under the pointer; `testId` names it for the tests. */
export function DataRow({ testId, children }: { readonly testId: string; readonly children: ReactNode }) {
  return (
    <tr data-testid={testId} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
      {children}
    </tr>
  );
}
