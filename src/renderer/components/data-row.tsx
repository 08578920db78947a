import type { ReactNode } from "react";

/**
 * One row of a DataTable, lit under the pointer; `testId` names it for the tests. In a
 * virtualised table, `index` and `measure` let the table measure it (see useVirtualRows).
 */
export function DataRow({
  testId,
  index,
  measure,
  children,
}: {
  readonly testId: string;
  readonly index?: number;
  readonly measure?: (element: Element | null) => void;
  readonly children: ReactNode;
}) {
  return (
    <tr ref={measure} data-index={index} data-testid={testId} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
      {children}
    </tr>
  );
}
