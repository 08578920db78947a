import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { userInfo, tmpdir } from "node:os";
import { join } from "node:path";
import { children, descendants } from "./listening-sockets.js";

/** The host key types a test sshd can offer. */
export type HostKeyType = "ed25519" | "ecdsa";

export interface SshdOptions {
  /** The host keys it offers, and only those (default: ed25519). */
  readonly hostKeys?: readonly HostKeyType[];
  /**
   * Run every session as if the user's login shell were this program (e.g. /usr/bin/fish): sshd
   * runs a command text as `<login shell> -c '<text>'`, so the sessions do exactly that, through
   * a ForceCommand wrapper (the real user's shell only starts the wrapper). Command texts are recorded.
   */
  readonly loginShell?: string;
  /**
   * Environment every session gets (sshd's `SetEnv`): `{RBEE_HOME: dir}` gives this "machine" its
   * own node home, so two sshd on loopback are two nodes; a PATH puts a stand-in tool on it.
   */
  readonly setEnv?: Readonly<Record<string, string>>;
  /** False: sshd refuses every pty (`PermitTTY no`), as some locked-down nodes do. */
  readonly permitTty?: boolean;
}

/** A real OpenSSH server on loopback, owned by one test file. */
export interface Sshd {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  /** A client key the server accepts. */
  readonly keyPath: string;
  /** A client key the server refuses. */
  readonly wrongKeyPath: string;
  readonly dir: string;
  /** With `loginShell`: every command text a client sent, in order. */
  commands(): string[];
  /** Restarts the server with freshly generated host keys of the same types (a "reinstalled" or impersonating host). */
  rotateHostKey(): Promise<void>;
  /**
   * Restarts the server on the same port offering only host keys of these types (each generated
   * once, then kept): an impostor that took over the port with another key type. `dropSessions`
   * also cuts the sessions opened before, once the new server listens (as when the network drops).
   */
  useHostKeys(types: readonly HostKeyType[], options?: { readonly dropSessions?: boolean }): Promise<void>;
  /** The public half of its host key of this type, as in a `.pub` file (`ssh-ed25519 AAAA… comment`). */
  hostPublicKey(type: HostKeyType): string;
  /** Stops the server; `start()` brings it back on the same port with the same keys. */
  stop(): Promise<void>;
  /** Stops the server and cuts every open session, as when the machine drops off the network. */
  cut(): Promise<void>;
  /**
   * Kills the sshd processes serving the open connections (each one's monitor and its
   * unprivileged child, which carries the channels), leaving the server up: every connection
   * drops at once, a new one can be made. Answers how many processes died.
   */
  dropSessions(): number;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function keygen(path: string, comment: string, type: HostKeyType = "ed25519"): void {
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "ecdsa" ? ["-b", "256"] : []), "-N", "", "-C", comment, "-f", path]);
}

/** The SSH algorithm each host key type is offered under (sshd offers only these: no other type can be negotiated). */
const HOST_KEY_ALGORITHM: Record<HostKeyType, string> = { ed25519: "ssh-ed25519", ecdsa: "ecdsa-sha2-nistp256" };

/** Starts sshd on a free loopback port with its own host key and config; never touches /etc/ssh. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) {
    throw new Error("OpenSSH server missing: install it with `apt-get install -y openssh-server` (npm test does this as root)");
  }
  const dir = mkdtempSync(join(tmpdir(), "rbee-sshd-"));
  const user = userInfo().username;
  const hostKeyPath = (type: HostKeyType): string => join(dir, `host_${type}`);
  let hostKeys: readonly HostKeyType[] = options.hostKeys ?? ["ed25519"];
  const ensureHostKey = (type: HostKeyType, comment = "rbee-test-host"): void => {
    if (!existsSync(hostKeyPath(type))) keygen(hostKeyPath(type), comment, type);
  };
  for (const type of hostKeys) ensureHostKey(type);
  const keyPath = join(dir, "client_ed25519");
  const wrongKeyPath = join(dir, "wrong_ed25519");
  keygen(keyPath, "rbee-test-client");
  keygen(wrongKeyPath, "rbee-test-wrong");
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${keyPath}.pub`));
  const port = await freePort();
  const commandsFile = join(dir, "commands");
  const forceCommand: string[] = [];
  if (options.loginShell !== undefined) {
    const wrapper = join(dir, "login-shell");
    // The shell's own files (fish: ~/.config/fish) live here, as for a fresh user, not in the real home.
    writeFileSync(
      wrapper,
      [
        "#!/bin/sh",
        `XDG_CONFIG_HOME='${join(dir, "shell-config")}' XDG_DATA_HOME='${join(dir, "shell-data")}'; export XDG_CONFIG_HOME XDG_DATA_HOME`,
        `[ -n "\${SSH_ORIGINAL_COMMAND+x}" ] || exec '${options.loginShell}' -l`,
        `printf '%s\\0' "$SSH_ORIGINAL_COMMAND" >>'${commandsFile}'`,
        `exec '${options.loginShell}' -c "$SSH_ORIGINAL_COMMAND"`,
        "",
      ].join("\n"),
    );
    chmodSync(wrapper, 0o755);
    forceCommand.push(`ForceCommand ${wrapper}`);
  }
  const config = join(dir, "sshd_config");
  const writeConfig = (): void =>
    writeFileSync(
      config,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        ...hostKeys.map((type) => `HostKey ${hostKeyPath(type)}`),
        `HostKeyAlgorithms ${hostKeys.map((type) => HOST_KEY_ALGORITHM[type]).join(",")}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "GatewayPorts no",
        "PermitUserEnvironment no",
        "Subsystem sftp internal-sftp",
        "LogLevel INFO",
        "MaxStartups 100:30:200",
        "MaxSessions 100",
        ...(options.permitTty === false ? ["PermitTTY no"] : []),
        ...forceCommand,
        ...(options.setEnv && Object.keys(options.setEnv).length > 0
          ? [`SetEnv ${Object.entries(options.setEnv).map(([key, value]) => `${key}="${value}"`).join(" ")}`]
          : []),
        "",
      ].join("\n"),
    );
  writeConfig();
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    // sshd says "Server listening on 127.0.0.1 port N." once it accepts connections.
    await new Promise<void>((resolve, reject) => {
      let stderr = "";
      const onData = (chunk: Buffer): void => {
        stderr += chunk.toString();
        if (stderr.includes(`port ${port}.`)) {
          proc.stderr?.off("data", onData);
          proc.stderr?.resume();
          resolve();
        }
      };
      proc.stderr?.on("data", onData);
      proc.once("exit", (code) => reject(new Error(`sshd exited (${code}): ${stderr}`)));
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
  };
  await start();
  const killAll = (pids: readonly number[]): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  // Only the per-connection sshd processes die, as when the network drops: the remote shells
  // finish on their own (killing them mid-start would leave their shell startup files' locks behind).
  const cut = async (): Promise<void> => {
    const pid = child?.pid;
    const sessions = pid === undefined ? [] : children(pid);
    await stop();
    killAll(sessions);
  };
  const dropSessions = (): number => {
    const pid = child?.pid;
    const sessions = (pid === undefined ? [] : descendants(pid)).filter((session) => {
      try {
        return readFileSync(`/proc/${session}/comm`, "utf8").trim() === "sshd";
      } catch {
        return false;
      }
    });
    killAll(sessions);
    return sessions.length;
  };
  return {
    cut,
    dropSessions,
    host: "127.0.0.1",
    port,
    user,
    keyPath,
    wrongKeyPath,
    dir,
    commands: () => (existsSync(commandsFile) ? readFileSync(commandsFile, "utf8").split("\0").slice(0, -1) : []),
    start,
    stop,
    async rotateHostKey() {
      await stop();
      for (const type of hostKeys) {
        rmSync(hostKeyPath(type));
        rmSync(`${hostKeyPath(type)}.pub`);
        ensureHostKey(type, "rbee-test-host-rotated");
      }
      await start();
    },
    async useHostKeys(types, { dropSessions = false } = {}) {
      const pid = child?.pid;
      const sessions = dropSessions && pid !== undefined ? children(pid) : [];
      await stop();
      hostKeys = [...types];
      for (const type of hostKeys) ensureHostKey(type);
      writeConfig();
      await start();
      killAll(sessions);
    },
    hostPublicKey(type) {
      return readFileSync(`${hostKeyPath(type)}.pub`, "utf8").trim();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
