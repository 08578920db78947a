import { PlusIcon } from "./icons.js";

/** A view's main "add" action (Add node, Spawn worker), in its header or its empty state. */
export function AddButton({ children, disabled, onClick }: { readonly children: string; readonly disabled?: boolean; readonly onClick: () => void }) {
  return (
    <button type="button" className="btn-primary" disabled={disabled} onClick={onClick}>
      <PlusIcon className="size-4" />
      {children}
    </button>
  );
}
