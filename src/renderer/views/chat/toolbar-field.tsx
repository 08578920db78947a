import type { ReactNode } from "react";

/** A control of the chat toolbar under its small capitalised caption; the caption labels it. */
export function ToolbarField({ label, className, children }: { readonly label: string; readonly className: string; readonly children: ReactNode }) {
  return (
    <label className={className}>
      <span className="mb-1 block text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">{label}</span>
      {children}
    </label>
  );
}
