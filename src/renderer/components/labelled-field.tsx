import type { ReactNode } from "react";

/** The ids of a field's error and hint lines, for the control's aria-describedby. */
export function fieldNoteIds(id: string): { readonly error: string; readonly hint: string } {
  return { error: `${id}-error`, hint: `${id}-hint` };
}

/** A form control with its label above it (and "optional"), and under it its error or else its hint. */
export function LabelledField({
  id,
  label,
  optional = false,
  hint,
  error,
  className,
  children,
}: {
  /** The control's id: the label points at it. */
  readonly id: string;
  readonly label: string;
  readonly optional?: boolean;
  readonly hint?: string | undefined;
  readonly error?: string | undefined;
  readonly className?: string;
  readonly children: ReactNode;
}) {
  const notes = fieldNoteIds(id);
  return (
    <div className={className}>
      <div className="mb-1 flex items-baseline gap-1.5">
        <label htmlFor={id} className="text-[13px] font-medium">
          {label}
        </label>
        {optional ? <span className="text-xs text-zinc-400 dark:text-zinc-500">optional</span> : null}
      </div>
      {children}
      {error ? (
        <p id={notes.error} className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : hint ? (
        <p id={notes.hint} className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
