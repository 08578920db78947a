// Why an SSH login was refused, in words that say what was offered and what to do: "the node
// refused the key" is wrong when no key was offered at all (no key file, an empty or absent agent).
import ssh2 from "ssh2";

const NO_KEY_FILE = "no key file was given";
const NO_AGENT = "no ssh-agent is running";
const GIVE_KEY_OR_START_AGENT = "pass --ssh-key PATH (ssh_key_path), or start ssh-agent and ssh-add your key";
/** Nothing to log in with: no key file, and no agent socket at all. */
export const NO_KEY_NO_AGENT = `${NO_KEY_FILE} and ${NO_AGENT}: ${GIVE_KEY_OR_START_AGENT}`;
// The agent is a local socket: an answer takes microseconds, silence means it is wedged.
const AGENT_QUERY_MS = 2_000;

/**
 * Why the server refused the login, from what was offered: the key file, or (with none given) the
 * agent's keys, or nothing at all when the agent holds no key or does not answer.
 */
export async function describeRefusedLogin(
  offered: { readonly keyPath: string; readonly user: string } | { readonly agent: string },
): Promise<string> {
  if (!("agent" in offered)) {
    return (
      `authentication failed: the server refused the key ${offered.keyPath} for user ${offered.user}; ` +
      "add its public key to ~/.ssh/authorized_keys on that host, or pass another key with --ssh-key"
    );
  }
  const { agent } = offered;
  const keys = await agentKeyCount(agent);
  if (keys === undefined) return `${NO_KEY_FILE} and ${NO_AGENT} (nothing answers at ${agent}): ${GIVE_KEY_OR_START_AGENT}`;
  if (keys === 0) return `${NO_KEY_FILE} and the ssh-agent holds no key: ssh-add your key, or pass --ssh-key PATH (ssh_key_path)`;
  return (
    `authentication failed: ${NO_KEY_FILE} and the server refused the ${keys === 1 ? "key" : `${keys} keys`} in your ssh-agent: ` +
    "ssh-add the key this server accepts, or pass --ssh-key PATH (ssh_key_path)"
  );
}

/** How many keys the agent holds; undefined when nothing answers on its socket. */
function agentKeyCount(socket: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), AGENT_QUERY_MS);
    try {
      new ssh2.OpenSSHAgent(socket).getIdentities((error, keys) => {
        clearTimeout(timer);
        resolve(error ? undefined : (keys?.length ?? 0));
      });
    } catch {
      clearTimeout(timer);
      resolve(undefined);
    }
  });
}

