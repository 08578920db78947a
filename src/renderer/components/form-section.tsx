import type { ReactNode } from "react";

/** A group of a form's fields under a small capitalised legend, on a six-column grid. */
export function FormSection({ legend, children }: { readonly legend: string; readonly children: ReactNode }) {
  return (
    <fieldset className="grid grid-cols-6 gap-x-3 gap-y-3">
      <legend className="mb-2 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">{legend}</legend>
      {children}
    </fieldset>
  );
}
