import { CloseIcon } from "./icons.js";

/** A dialog's title (which names the dialog), what it does, and its close button. */
export function DialogHeader({
  titleId,
  title,
  description,
  onClose,
}: {
  readonly titleId: string;
  readonly title: string;
  readonly description: string;
  readonly onClose: () => void;
}) {
  return (
    <div className="flex shrink-0 items-start justify-between gap-4 border-b border-zinc-200 px-5 py-3.5 dark:border-zinc-800">
      <div>
        <h2 id={titleId} className="text-base font-semibold">
          {title}
        </h2>
        <p className="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">{description}</p>
      </div>
      <button type="button" className="btn-ghost -mr-2" aria-label="Close" onClick={onClose}>
        <CloseIcon className="size-4" />
      </button>
    </div>
  );
}
