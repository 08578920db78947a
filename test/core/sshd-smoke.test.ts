import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";
import { startSshd } from "../helpers/sshd.js";

test("the test sshd accepts its client key", async () => {
  const sshd = await startSshd();
  try {
    const out = execFileSync("ssh", ["-i", sshd.keyPath, "-p", String(sshd.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", `${sshd.user}@127.0.0.1`, "echo hi"]);
    expect(out.toString().trim()).toBe("hi");
  } finally {
    await sshd.dispose();
  }
});
