import type { ReactNode } from "react";

/**
 * What a view shows when it has nothing yet: what this is and the first step. In a card on the
 * list pages; `bare` (the chat) sits on the page itself, a little wider.
 */
export function EmptyState({
  icon,
  title,
  children,
  action,
  bare = false,
}: {
  readonly icon: ReactNode;
  readonly title: string;
  readonly children: ReactNode;
  readonly action?: ReactNode;
  readonly bare?: boolean;
}) {
  return (
    <div className={`flex flex-col items-center px-6 text-center ${bare ? "mx-auto max-w-xl py-16" : "card py-14"}`}>
      <div className="mb-4 flex size-11 items-center justify-center rounded-xl bg-amber-100 text-amber-700 ring-1 ring-amber-600/15 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20">
        {icon}
      </div>
      <h2 className="text-base font-semibold">{title}</h2>
      <div className={`mt-1.5 text-sm text-zinc-600 dark:text-zinc-400 ${bare ? "" : "max-w-md"}`}>{children}</div>
      {action ? <div className="mt-5">{action}</div> : null}
    </div>
  );
}
