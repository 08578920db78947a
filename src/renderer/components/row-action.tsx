import type { ReactNode } from "react";

/** Where a row action's word shows beside its icon (it is always read out): from small windows up, or only on wide ones (a table with many columns). */
const WORD_FROM = { sm: "sr-only sm:not-sr-only", "2xl": "sr-only 2xl:not-sr-only" } as const;

/** A row's action button: an icon, and its word from the small breakpoint up (always read out). */
export function RowAction({
  label,
  title = label,
  icon,
  text,
  danger = false,
  disabled,
  wordFrom = "sm",
  onClick,
}: {
  /** What it does to what, e.g. "Remove gpu-box". */
  readonly label: string;
  readonly title?: string;
  readonly icon: ReactNode;
  readonly text: string;
  readonly danger?: boolean;
  readonly disabled?: boolean;
  readonly wordFrom?: keyof typeof WORD_FROM;
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
      <span className={WORD_FROM[wordFrom]}>{text}</span>
    </button>
  );
}
