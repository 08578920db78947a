import type { SshConfigHost } from "../../../shared/contract/ssh-config.js";
import { useApiValue } from "../../state/use-api-value.js";

/** The concrete hosts of `~/.ssh/config` on the queen's machine: null while asked, none if it cannot say. */
export function useSshConfigHosts(): readonly SshConfigHost[] | null {
  return useApiValue<readonly SshConfigHost[] | null>("", async (api) => (await api.sshConfigHosts({})).hosts, null, []);
}
