import { describe, expect, it } from "vitest";
import { importSshConfigHosts, readSshConfigHosts, type SshConfigEnvironment } from "../../src/core/ssh/ssh-config-import.js";
import { SshConfigHost } from "../../src/shared/contract/index.js";

function environment(files: Record<string, string> = {}): SshConfigEnvironment {
  return {
    home: "/home/vince",
    localUser: "vince",
    readFile: (path) => files[path] ?? null,
    readDir: (dir) =>
      Object.keys(files)
        .filter((path) => path.startsWith(`${dir}/`) && !path.slice(dir.length + 1).includes("/"))
        .map((path) => path.slice(dir.length + 1)),
  };
}

const SAMPLE = `
# Workstation defaults
Host gpu-box gpu2
  HostName 10.0.0.2
  Port 2222
  User ml
  IdentityFile ~/.ssh/id_gpu
  IdentityFile ~/.ssh/id_other

Host mac
  hostname mac.home.arpa

Host *.lan !bastion
  User lanuser

Host tunnel?
  Port 2200

Host "studio box"
  HostName %h.example.org
  IdentityFile %d/.ssh/%r@%h

Host broken
  Port nope

Match host mac exec "touch /tmp/rbee-pwned"
  User never

Host *
  User keanu
  IdentityFile ~/.ssh/id_ed25519
`;

describe("importSshConfigHosts", () => {
  it("lists concrete hosts, resolved as OpenSSH would, and skips patterns", () => {
    const hosts = importSshConfigHosts(SAMPLE, environment());
    expect(hosts.map((host) => host.alias)).toEqual(["gpu-box", "gpu2", "mac", "studio box"]);
    for (const host of hosts) expect(SshConfigHost.safeParse(host).success).toBe(true);

    expect(hosts[0]).toEqual({
      alias: "gpu-box",
      ssh_host: "10.0.0.2",
      ssh_port: 2222,
      ssh_user: "ml",
      ssh_key_path: "/home/vince/.ssh/id_gpu",
    });
    expect(hosts[1]).toMatchObject({ alias: "gpu2", ssh_host: "10.0.0.2", ssh_port: 2222 });
  });

  it("applies Host * defaults after the specific values, with ~ and % tokens expanded", () => {
    const [, , mac, studio] = importSshConfigHosts(SAMPLE, environment());
    // Lowercase keywords count; the first value wins; Match exec is never run.
    expect(mac).toEqual({
      alias: "mac",
      ssh_host: "mac.home.arpa",
      ssh_port: 22,
      ssh_user: "keanu",
      ssh_key_path: "/home/vince/.ssh/id_ed25519",
    });
    expect(studio).toEqual({
      alias: "studio box",
      ssh_host: "studio box.example.org",
      ssh_port: 22,
      ssh_user: "keanu",
      ssh_key_path: "/home/vince/.ssh/keanu@studio box.example.org",
    });
  });

  it("defaults to the alias, port 22, the local user and the agent", () => {
    expect(importSshConfigHosts("Host plain\n", environment())).toEqual([
      { alias: "plain", ssh_host: "plain", ssh_port: 22, ssh_user: "vince", ssh_key_path: null },
    ]);
    expect(importSshConfigHosts("Host nokey\n  IdentityFile none\n", environment())[0]?.ssh_key_path).toBeNull();
  });

  it("follows Include, relative to ~/.ssh, with globs", () => {
    const files = {
      "/home/vince/.ssh/config": "Include config.d/*.conf\nInclude /etc/extra\nHost main\n",
      "/home/vince/.ssh/config.d/a.conf": "Host from-a\n  HostName 10.0.0.10\n",
      "/home/vince/.ssh/config.d/b.conf": "Host from-b\n  Port 2022\n",
      "/home/vince/.ssh/config.d/ignored.txt": "Host ignored\n",
      "/etc/extra": "Host extra\n  User root\n",
    };
    const hosts = readSshConfigHosts("/home/vince/.ssh/config", environment(files));
    expect(hosts.map((host) => [host.alias, host.ssh_host, host.ssh_port, host.ssh_user])).toEqual([
      ["from-a", "10.0.0.10", 22, "vince"],
      ["from-b", "from-b", 2022, "vince"],
      ["extra", "extra", 22, "root"],
      ["main", "main", 22, "vince"],
    ]);
  });

  it("has no hosts without a config file, and survives an Include loop", () => {
    expect(readSshConfigHosts("/nowhere/config", environment())).toEqual([]);
    const loop = { "/home/vince/.ssh/config": "Include config\nHost once\n" };
    expect(readSshConfigHosts("/home/vince/.ssh/config", environment(loop)).map((h) => h.alias)).toEqual(["once"]);
  });
});
