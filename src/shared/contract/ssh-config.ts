import { z } from "zod";

/** One concrete host of the user's `~/.ssh/config`, resolved as OpenSSH would (wildcard patterns left out). */
export const SshConfigHost = z.object({
  /** The `Host` name the user types after `ssh`. */
  alias: z.string(),
  /** `HostName`, or the alias itself. */
  ssh_host: z.string(),
  ssh_port: z.number().int().min(1).max(65535),
  /** `User`, or the queen's local user (what ssh would use). */
  ssh_user: z.string(),
  /** The first `IdentityFile`, `~` expanded; null when none is set (the ssh-agent is used). */
  ssh_key_path: z.string().nullable(),
});
export type SshConfigHost = z.infer<typeof SshConfigHost>;

/** `GET /v2/registry/ssh-config`. */
export const SshConfigHostsResponse = z.object({ hosts: z.array(SshConfigHost) });
export type SshConfigHostsResponse = z.infer<typeof SshConfigHostsResponse>;
