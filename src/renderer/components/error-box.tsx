import type { ErrorText } from "../lib/error-text.js";
import { AlertIcon } from "./icons.js";

/** An error in words: what failed, the queen's sentence, and what to do about it. */
export function ErrorBox({ text, title, className = "" }: { readonly text: ErrorText; readonly title?: string; readonly className?: string }) {
  return (
    <div
      role="alert"
      className={`flex gap-2.5 rounded-lg border border-red-600/25 bg-red-50 p-3 text-sm dark:border-red-400/25 dark:bg-red-400/5 ${className}`}
    >
      <AlertIcon className="mt-0.5 size-4 shrink-0 text-red-600 dark:text-red-400" />
      <div className="min-w-0">
        <p className="font-medium text-red-800 dark:text-red-300">{title ?? text.title}</p>
        <p className="mt-0.5 break-words whitespace-pre-line text-zinc-700 dark:text-zinc-300">{text.message}</p>
        {text.hint ? <p className="mt-1 text-zinc-600 dark:text-zinc-400">{text.hint}</p> : null}
      </div>
    </div>
  );
}
