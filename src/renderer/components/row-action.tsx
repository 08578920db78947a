import type { ReactNode } from "react";

/** A row's action button: an icon, and its word from the small breakpoint up (always read out). */
export function RowAction({
  label,
  title = label,
  icon,
  text,
  danger = false,
  disabled,
  onClick,
}: {
  /** What it does to what, e.g. "Remove gpu-box". */
  readonly label: string;
  readonly title?: string;
  readonly icon: ReactNode;
  readonly text: string;
  readonly danger?: boolean;
  readonly disabled?: boolean;
  readonly onClick: () => void;
}) {
  return (
    <button
      type="button"
      className={danger ? "btn-ghost-danger" : "btn-ghost"}
      disabled={disabled}
      aria-label={label}
      title={title}
      onClick={onClick}
    >
      {icon}
      <span className="sr-only sm:not-sr-only">{text}</span>
    </button>
  );
}
