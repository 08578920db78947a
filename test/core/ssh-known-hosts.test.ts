import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fingerprintOf, hostKeyAlgorithmsPreferring, KnownHosts } from "../../src/core/ssh/known-hosts.js";

let dir: string;
let n = 0;
/** A fresh public key: its `.pub` line and raw blob. */
const newKey = (type: "ed25519" | "ecdsa" | "rsa"): { line: string; blob: Buffer; type: string } => {
  const path = join(dir, `key-${n++}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-f", path]);
  const [keyType = "", base64 = ""] = readFileSync(`${path}.pub`, "utf8").trim().split(" ");
  return { line: `${keyType} ${base64}`, blob: Buffer.from(base64, "base64"), type: keyType };
};
const files = () => ({ own: join(dir, `own-${n}`), user: join(dir, `user-${n++}`) });

let ed25519: ReturnType<typeof newKey>;
let ecdsa: ReturnType<typeof newKey>;
let rsa: ReturnType<typeof newKey>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rbee-known-hosts-"));
  ed25519 = newKey("ed25519");
  ecdsa = newKey("ecdsa");
  rsa = newKey("rsa");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("KnownHosts: a host is keyed by host:port, not by key type", () => {
  test("a host recorded with ed25519 that offers ECDSA is a mismatch, naming what is recorded", () => {
    const { own } = files();
    writeFileSync(own, `[127.0.0.1]:2222 ${ed25519.line}\n`);
    const hosts = new KnownHosts(own);
    expect(hosts.check("127.0.0.1", 2222, ecdsa.blob)).toEqual({ verdict: "mismatch", recorded: [{ keyType: "ssh-ed25519", file: own }] });
    expect(hosts.verify("127.0.0.1", 2222, rsa.blob)).toBe("mismatch");
    expect(hosts.verify("127.0.0.1", 2222, ed25519.blob)).toBe("known");
  });

  test("another port or host is another host: unknown", () => {
    const { own } = files();
    writeFileSync(own, `[127.0.0.1]:2222 ${ed25519.line}\n127.0.0.1 ${ed25519.line}\n`);
    const hosts = new KnownHosts(own);
    expect(hosts.verify("127.0.0.1", 2223, ecdsa.blob)).toBe("unknown");
    expect(hosts.verify("127.0.0.2", 22, ecdsa.blob)).toBe("unknown");
    // Port 22 is written bare, as OpenSSH does.
    expect(hosts.verify("127.0.0.1", 22, ecdsa.blob)).toBe("mismatch");
  });

  test("a host with several recorded keys is known by any of them and a mismatch for any other", () => {
    const { own } = files();
    writeFileSync(own, `[127.0.0.1]:2222 ${ed25519.line}\n[127.0.0.1]:2222 ${rsa.line}\n`);
    const hosts = new KnownHosts(own);
    expect(hosts.verify("127.0.0.1", 2222, rsa.blob)).toBe("known");
    expect(hosts.verify("127.0.0.1", 2222, ed25519.blob)).toBe("known");
    expect(hosts.verify("127.0.0.1", 2222, ecdsa.blob)).toBe("mismatch");
    expect(hosts.recordedKeyTypes("127.0.0.1", 2222)).toEqual(["ssh-ed25519", "ssh-rsa"]);
  });

  test("the user's known_hosts counts too, hashed entries included (ssh-keygen -H)", () => {
    const { own, user } = files();
    writeFileSync(user, `[127.0.0.1]:2222 ${ed25519.line}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", user], { stdio: "pipe" });
    expect(readFileSync(user, "utf8")).toMatch(/^\|1\|/);
    const hosts = new KnownHosts(own, [user]);
    expect(hosts.check("127.0.0.1", 2222, ecdsa.blob)).toEqual({ verdict: "mismatch", recorded: [{ keyType: "ssh-ed25519", file: user }] });
    expect(hosts.verify("127.0.0.1", 2222, ed25519.blob)).toBe("known");
    expect(hosts.recordedKeyTypes("127.0.0.1", 2222)).toEqual(["ssh-ed25519"]);
  });

  test("a revoked key is refused even when another file lists it as known", () => {
    const { own, user } = files();
    writeFileSync(own, `[127.0.0.1]:2222 ${ed25519.line}\n`);
    writeFileSync(user, `@revoked * ${ed25519.line}\n`);
    expect(new KnownHosts(own, [user]).verify("127.0.0.1", 2222, ed25519.blob)).toBe("revoked");
  });

  test("@revoked and @cert-authority lines are no recorded key of the host", () => {
    const { own } = files();
    writeFileSync(own, `@revoked [127.0.0.1]:2222 ${ed25519.line}\n@cert-authority * ${rsa.line}\n`);
    const hosts = new KnownHosts(own);
    expect(hosts.check("127.0.0.1", 2222, ecdsa.blob)).toEqual({ verdict: "unknown", recorded: [] });
    expect(hosts.recordedKeyTypes("127.0.0.1", 2222)).toEqual([]);
  });
});

describe("KnownHosts.trust", () => {
  test("records an unknown host once; the same key again writes nothing", () => {
    const { own } = files();
    const hosts = new KnownHosts(own);
    hosts.trust("127.0.0.1", 2222, ecdsa.blob);
    hosts.trust("127.0.0.1", 2222, ecdsa.blob);
    expect(readFileSync(own, "utf8")).toBe(`[127.0.0.1]:2222 ${ecdsa.line}\n`);
    expect(hosts.verify("127.0.0.1", 2222, ecdsa.blob)).toBe("known");
  });

  test("never adds a key beside another recorded one (of any type), in any file", () => {
    const { own, user } = files();
    writeFileSync(user, `[127.0.0.1]:2222 ${ed25519.line}\n`);
    const hosts = new KnownHosts(own, [user]);
    expect(() => hosts.trust("127.0.0.1", 2222, ecdsa.blob)).toThrow(expect.objectContaining({ code: "SSH_FAILED", message: expect.stringMatching(/host key mismatch/) }));
    expect(() => readFileSync(own)).toThrow();
  });
});

describe("host key algorithms", () => {
  test("the recorded key types come first, the rest as ssh2 orders them", () => {
    const defaults = hostKeyAlgorithmsPreferring([]);
    expect(defaults[0]).toBe("ssh-ed25519");
    expect(hostKeyAlgorithmsPreferring(["ecdsa-sha2-nistp256"])).toEqual(["ecdsa-sha2-nistp256", ...defaults.filter((a) => a !== "ecdsa-sha2-nistp256")]);
    expect(hostKeyAlgorithmsPreferring(["ssh-rsa"]).slice(0, 3)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    // A type ssh2 cannot negotiate changes nothing (and is no error).
    expect(hostKeyAlgorithmsPreferring(["sk-ssh-ed25519@openssh.com"])).toEqual(defaults);
  });

  test("fingerprints are OpenSSH's", () => {
    const path = join(dir, "fp");
    writeFileSync(path, `${ed25519.line}\n`);
    const openssh = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path], { encoding: "utf8" }).split(" ")[1];
    expect(fingerprintOf(ed25519.blob)).toBe(openssh);
  });
});
