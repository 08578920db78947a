import { useId, useState } from "react";
import type { SshConfigHost } from "../../../shared/contract/ssh-config.js";
import { ImportIcon } from "../../components/icons.js";
import { Select } from "../../components/select.js";
import { useSshConfigHosts } from "./use-ssh-config-hosts.js";

/**
 * Offers the hosts of the user's `~/.ssh/config` (on the queen's machine): picking one fills the
 * connection fields as ssh itself would connect. Hidden when there is none.
 */
export function SshConfigPicker({ onPick }: { readonly onPick: (host: SshConfigHost) => void }) {
  const hosts = useSshConfigHosts();
  const selectId = useId();
  const [picked, setPicked] = useState("");

  if (!hosts || hosts.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5 rounded-lg border border-dashed border-zinc-300 px-3 py-2.5 dark:border-zinc-700">
      <label htmlFor={selectId} className="flex items-center gap-1.5 text-[13px] font-medium">
        <ImportIcon className="size-4 text-zinc-500" />
        Import from ~/.ssh/config
      </label>
      <Select
        id={selectId}
        className="h-8 w-auto min-w-56 flex-1"
        options={[
          { value: "", label: `Choose a host (${hosts.length})…` },
          ...hosts.map((host) => ({
            value: host.alias,
            label: `${host.alias} — ${host.ssh_user}@${host.ssh_host}${host.ssh_port === 22 ? "" : `:${host.ssh_port}`}`,
          })),
        ]}
        value={picked}
        onChange={(alias) => {
          setPicked(alias);
          const host = hosts.find((h) => h.alias === alias);
          if (host) onPick(host);
        }}
      />
    </div>
  );
}
