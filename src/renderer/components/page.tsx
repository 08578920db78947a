import type { ReactNode } from "react";
import { SpinnerIcon } from "./icons.js";

/** A view's title row with its main action. */
export function PageHeader({
  title,
  description,
  actions,
}: {
  readonly title: string;
  readonly description: string;
  readonly actions?: ReactNode;
}) {
  return (
    <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">{title}</h1>
        <p className="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">{description}</p>
      </div>
      {actions ? <div className="flex items-center gap-2">{actions}</div> : null}
    </div>
  );
}

/** What a list shows when it has nothing yet: what this is and the first step. */
export function EmptyState({
  icon,
  title,
  children,
  action,
}: {
  readonly icon: ReactNode;
  readonly title: string;
  readonly children: ReactNode;
  readonly action?: ReactNode;
}) {
  return (
    <div className="card flex flex-col items-center px-6 py-14 text-center">
      <div className="mb-4 flex size-11 items-center justify-center rounded-xl bg-amber-100 text-amber-700 ring-1 ring-amber-600/15 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20">
        {icon}
      </div>
      <h2 className="text-base font-semibold">{title}</h2>
      <div className="mt-1.5 max-w-md text-sm text-zinc-600 dark:text-zinc-400">{children}</div>
      {action ? <div className="mt-5">{action}</div> : null}
    </div>
  );
}

/** Shown until the first snapshot arrives. */
export function LoadingState({ label }: { readonly label: string }) {
  return (
    <div className="card flex items-center justify-center gap-2 px-6 py-14 text-sm text-zinc-500 dark:text-zinc-400">
      <SpinnerIcon className="size-4" />
      {label}
    </div>
  );
}
