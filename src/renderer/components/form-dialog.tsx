import { useId, type ReactNode } from "react";
import { Modal } from "./modal.js";

/** A modal holding one form; the form is given the id of its heading, which names the dialog. */
export function FormDialog({
  open,
  onClose,
  className,
  children,
}: {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly className: string;
  readonly children: (titleId: string) => ReactNode;
}) {
  const titleId = useId();
  return (
    <Modal open={open} onClose={onClose} labelledBy={titleId} className={className}>
      {children(titleId)}
    </Modal>
  );
}
