// Builds better-sqlite3 for Electron's ABI into out/native/, beside the Node build the CLI and the
// tests use (better-sqlite3 is not N-API: one build serves one ABI). Runs before `npm start`, on a
// machine that can download Electron's headers; a no-op when the build for this Electron exists.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = resolve(fileURLToPath(new globalThis.URL(".", import.meta.url)), "..");
const electronVersion = require("electron/package.json").version;
const outDir = join(root, "out", "native");
const binding = join(outDir, "better_sqlite3.node");
const stamp = join(outDir, "better_sqlite3.electron-version");

if (existsSync(binding) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === electronVersion) process.exit(0);

// npm tells its scripts where its own node-gyp is; fall back to the one on the PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const gyp = nodeGyp ? [process.execPath, [nodeGyp]] : ["node-gyp", []];
const work = mkdtempSync(join(tmpdir(), "rbee-electron-sqlite-"));
try {
  const source = join(work, "better-sqlite3");
  cpSync(join(root, "node_modules", "better-sqlite3"), source, {
    recursive: true,
    filter: (path) => !path.includes(`${join("better-sqlite3", "build")}`),
  });
  console.error(`Building better-sqlite3 for Electron ${electronVersion} (once)…`);
  execFileSync(
    gyp[0],
    [...gyp[1], "rebuild", "--release", "--runtime=electron", `--target=${electronVersion}`, "--dist-url=https://electronjs.org/headers"],
    { cwd: source, stdio: "inherit" },
  );
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(source, "build", "Release", "better_sqlite3.node"), binding);
  writeFileSync(stamp, `${electronVersion}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
