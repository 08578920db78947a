import { memo, type ReactNode } from "react";

/** A column heading; a plain string is a left-aligned one. */
export type DataColumn = string | { readonly label: string; readonly className: string };

/** The look of a group of rows: a DataTable's own body, or each of the bodies a table with `ownBodies` brings. */
export const DATA_BODY = "divide-y divide-zinc-100 dark:divide-zinc-800";

/**
 * The table of a list view (Nodes, Workers): headings, a last column of row actions, and the rows
 * (with `ownBodies`, the children are <tbody> elements, one group of rows each). `rowCount` is the
 * whole list's length, which a virtualised table has fewer rows in the DOM than.
 */
export function DataTable({
  columns,
  children,
  testId,
  rowCount,
  ownBodies = false,
  fixedLayout = false,
}: {
  readonly columns: readonly DataColumn[];
  readonly children: ReactNode;
  readonly testId?: string;
  readonly rowCount?: number;
  readonly ownBodies?: boolean;
  /**
   * Column widths from the headings (their classNames) instead of from every cell: a change in
   * one row is laid out and painted in that row alone, not across the whole table. The table
   * keeps a minimum width (narrower windows scroll it sideways) and the actions column its own.
   */
  readonly fixedLayout?: boolean;
}) {
  return (
    <div className="card">
      {/* Narrower than its rows (a small window): the table scrolls sideways, its row actions never cut off. */}
      <div className="overflow-x-auto">
        <table className={`w-full text-sm ${fixedLayout ? "min-w-[960px] table-fixed" : ""}`} data-testid={testId} data-rows={rowCount}>
          <DataTableHead columns={columns} fixedLayout={fixedLayout} />
          {ownBodies ? children : <tbody className={DATA_BODY}>{children}</tbody>}
        </table>
      </div>
    </div>
  );
}

/** The headings; memoised (the tables pass constant columns), so that a table rendering its rows again leaves them be. */
const DataTableHead = memo(function DataTableHead({ columns, fixedLayout }: { readonly columns: readonly DataColumn[]; readonly fixedLayout: boolean }) {
  return (
    <thead className="border-b border-zinc-200 bg-zinc-50/80 dark:border-zinc-800 dark:bg-zinc-900/80">
      <tr>
        {columns.map((column) =>
          typeof column === "string" ? (
            <th key={column} className="th">
              {column}
            </th>
          ) : (
            <th key={column.label} className={`th ${column.className}`}>
              {column.label}
            </th>
          ),
        )}
        <th className={`th ${fixedLayout ? "w-24 2xl:w-44" : "w-0"}`}>
          <span className="sr-only">Actions</span>
        </th>
      </tr>
    </thead>
  );
});
