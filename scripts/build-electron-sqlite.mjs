// Builds better-sqlite3 for Electron's ABI into out/native/ for `npm start` (prestart), beside the
// Node build in node_modules that the tests and the command-line programs use: better-sqlite3 is not
// N-API, one build serves one ABI. The build is @electron/rebuild's, the rebuilder electron-builder
// runs on node_modules itself for the installers (`npm run dist`); here it runs on a copy so that
// the Node build stays. It takes better-sqlite3's prebuilt binary for this Electron when it can
// download one and compiles it against Electron's headers otherwise. A no-op when out/native holds
// the build for this Electron and architecture.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { rebuild } from "@electron/rebuild";

const require = createRequire(import.meta.url);
const root = resolve(fileURLToPath(new globalThis.URL(".", import.meta.url)), "..");
const electronVersion = require("electron/package.json").version;
const sqliteVersion = require("better-sqlite3/package.json").version;
const outDir = join(root, "out", "native");
const binding = join(outDir, "better_sqlite3.node");
const stamp = join(outDir, "better_sqlite3.electron-version");
const wanted = `${electronVersion} ${process.platform}-${process.arch}`;

if (existsSync(binding) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted) process.exit(0);

// A project of its own with better-sqlite3 alone (without its Node build) for @electron/rebuild to
// rebuild in place. Inside the project: prebuild-install and node-gyp are found in its node_modules.
const stage = join(outDir, "stage");
rmSync(stage, { recursive: true, force: true });
const source = join(root, "node_modules", "better-sqlite3");
const buildDir = join(source, "build");
cpSync(source, join(stage, "node_modules", "better-sqlite3"), {
  recursive: true,
  filter: (path) => path !== buildDir && !path.startsWith(buildDir + sep),
});
writeFileSync(
  join(stage, "package.json"),
  `${JSON.stringify({ name: "rbee-electron-sqlite", private: true, dependencies: { "better-sqlite3": sqliteVersion } }, null, 2)}\n`,
);
// A nodedir from an npmrc (Node's own headers) would make node-gyp build for Node instead.
delete process.env.npm_config_nodedir;

console.error(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.platform}-${process.arch}, once)…`);
try {
  await rebuild({
    buildPath: stage,
    projectRootPath: stage,
    electronVersion,
    arch: process.arch,
    onlyModules: ["better-sqlite3"],
    force: true,
  });
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(stage, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"), binding);
  writeFileSync(stamp, `${wanted}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
