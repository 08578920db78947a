import type { TransferView } from "../../state/model-transfers.js";
import { TransferRow } from "./transfer-row.js";

/** Running downloads and copies, one progress bar each. */
export function TransferList({ transfers, className }: { readonly transfers: readonly TransferView[]; readonly className: string }) {
  return (
    <ul aria-label="Running transfers" className={`divide-y divide-zinc-100 dark:divide-zinc-800 ${className}`}>
      {transfers.map((transfer) => (
        <TransferRow key={transfer.key} transfer={transfer} />
      ))}
    </ul>
  );
}
