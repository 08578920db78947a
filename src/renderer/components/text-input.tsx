import type { InputHTMLAttributes } from "react";

type InputAttributes = Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "className">;

/**
 * A one-line text box that hands back the text. Names, hosts and paths are not prose: no
 * autocomplete, capitals or spell check. `invalid` marks it red.
 */
export function TextInput({
  value,
  onChange,
  invalid = false,
  className = "",
  ...input
}: InputAttributes & {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly invalid?: boolean;
  readonly className?: string;
}) {
  return (
    <input
      type="text"
      value={value}
      onChange={(event) => onChange(event.target.value)}
      aria-invalid={invalid ? true : undefined}
      autoComplete="off"
      autoCapitalize="off"
      spellCheck={false}
      className={className ? `input ${className}` : "input"}
      {...input}
    />
  );
}
