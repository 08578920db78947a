import type { ReactNode } from "react";

/** A link inside a sentence (to another view), in the accent colour. */
export function TextLink({ href, children }: { readonly href: string; readonly children: ReactNode }) {
  return (
    <a href={href} className="font-medium text-amber-700 underline underline-offset-2 dark:text-amber-300">
      {children}
    </a>
  );
}
