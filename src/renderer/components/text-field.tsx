import type { InputHTMLAttributes } from "react";
import { fieldNoteIds, LabelledField } from "./labelled-field.js";
import { TextInput } from "./text-input.js";

/** A labelled text box whose error (or hint) is shown under it and read with it. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  optional,
  className,
  inputClassName,
  ...input
}: Pick<InputHTMLAttributes<HTMLInputElement>, "name" | "placeholder" | "inputMode" | "autoFocus" | "type"> & {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly error?: string | undefined;
  readonly hint?: string;
  readonly optional?: boolean;
  /** Of the whole field (its place in a grid). */
  readonly className?: string;
  readonly inputClassName?: string;
}) {
  const notes = fieldNoteIds(id);
  return (
    <LabelledField id={id} label={label} optional={optional} hint={hint} error={error} className={className}>
      <TextInput
        id={id}
        value={value}
        onChange={onChange}
        invalid={Boolean(error)}
        aria-describedby={error ? notes.error : hint ? notes.hint : undefined}
        className={inputClassName}
        {...input}
      />
    </LabelledField>
  );
}
