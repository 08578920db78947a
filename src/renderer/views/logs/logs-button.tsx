import { useState } from "react";
import { LogsIcon } from "../../components/icons.js";
import { RowAction } from "../../components/row-action.js";
import { LogsDialog } from "./logs-dialog.js";
import type { LogTarget } from "./use-followed-log.js";

/** A row's Logs action: opens the Logs panel of its node or worker. */
export function LogsButton({ target, wordFrom }: { readonly target: LogTarget; readonly wordFrom?: "sm" | "2xl" }) {
  const [open, setOpen] = useState(false);
  const what = target.worker ? `worker ${target.worker}` : `node ${target.node}`;
  return (
    <>
      <RowAction label={`Logs of ${what}`} icon={<LogsIcon className="size-4" />} text="Logs" {...(wordFrom ? { wordFrom } : {})} onClick={() => setOpen(true)} />
      {open ? <LogsDialog target={target} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
