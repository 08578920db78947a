import type { SelectHTMLAttributes } from "react";

/** One choice of a Select. */
export interface SelectOption {
  readonly value: string;
  readonly label: string;
}

/** A native select over a list of choices that hands back the chosen value. */
export function Select({
  options,
  value,
  onChange,
  className = "",
  ...select
}: Omit<SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange" | "className"> & {
  readonly options: readonly SelectOption[];
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly className?: string;
}) {
  return (
    <select className={className ? `input ${className}` : "input"} value={value} onChange={(event) => onChange(event.target.value)} {...select}>
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}
