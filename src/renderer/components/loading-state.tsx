import { SpinnerIcon } from "./icons.js";

/** Shown until the first snapshot arrives. */
export function LoadingState({ label }: { readonly label: string }) {
  return (
    <div className="card flex items-center justify-center gap-2 px-6 py-14 text-sm text-zinc-500 dark:text-zinc-400">
      <SpinnerIcon className="size-4" />
      {label}
    </div>
  );
}
