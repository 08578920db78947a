import { useEffect, useRef, type ReactNode } from "react";

/**
 * A modal on the native `<dialog>`: focus trap, Escape and the top layer come from the browser.
 * `onClose` runs however it closes; the parent owns `open`.
 */
export function Modal({
  open,
  onClose,
  labelledBy,
  describedBy,
  role,
  closeOnBackdrop = false,
  className = "",
  children,
}: {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly labelledBy: string;
  readonly describedBy?: string;
  readonly role?: "dialog" | "alertdialog";
  readonly closeOnBackdrop?: boolean;
  readonly className?: string;
  readonly children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      role={role}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      onClose={onClose}
      onClick={(event) => {
        if (closeOnBackdrop && event.target === event.currentTarget) onClose();
      }}
      className={`m-auto max-h-[calc(100dvh-2rem)] w-[calc(100vw-2rem)] overflow-hidden rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/50 backdrop:backdrop-blur-[2px] dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100 ${className}`}
    >
      {open ? children : null}
    </dialog>
  );
}
