// Builds better-sqlite3 for Electron's ABI into out/native/, beside the Node build in node_modules
// that the tests and the command-line programs use: better-sqlite3 is not N-API, one build serves
// one ABI. The desktop app opens its registry with out/native/better_sqlite3.node, under `npm start`
// (prestart runs this file) and installed alike: electron-builder runs `beforePack` below for each
// platform and architecture it packs, and packs out/native (electron-builder.yml).
//
// The build is @electron/rebuild's, the rebuilder electron-builder itself uses, on a copy of
// better-sqlite3 so that node_modules keeps its Node build. It takes better-sqlite3's prebuilt binary
// for that Electron when it can download one and compiles it against Electron's headers otherwise.
// A no-op when out/native already holds the build for that Electron, platform and architecture.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rebuild } from "@electron/rebuild";

const require = createRequire(import.meta.url);
const root = resolve(fileURLToPath(new globalThis.URL(".", import.meta.url)), "..");
const outDir = join(root, "out", "native");

/** Builds out/native/better_sqlite3.node for this project's Electron on `platform`-`arch`. */
export async function buildElectronSqlite({ platform = process.platform, arch = process.arch } = {}) {
  const electronVersion = require("electron/package.json").version;
  const sqliteVersion = require("better-sqlite3/package.json").version;
  const binding = join(outDir, "better_sqlite3.node");
  const stamp = join(outDir, "better_sqlite3.electron-version");
  const wanted = `${electronVersion} ${platform}-${arch}`;
  if (existsSync(binding) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted) return;

  // A project of its own holding better-sqlite3 alone, without its Node build, for @electron/rebuild
  // to rebuild in place. Inside this project: prebuild-install is found in its node_modules.
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

  console.error(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${platform}-${arch}, once)…`);
  try {
    await rebuild({ buildPath: stage, projectRootPath: stage, electronVersion, platform, arch, onlyModules: ["better-sqlite3"], force: true });
    mkdirSync(outDir, { recursive: true });
    copyFileSync(join(stage, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"), binding);
    writeFileSync(stamp, `${wanted}\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

// electron-builder's Arch enum (builder-util), by value.
const ARCH_NAMES = ["ia32", "x64", "armv7l", "arm64"];

/** electron-builder's beforePack hook: the build for the platform and architecture about to be packed. */
export async function beforePack(context) {
  const arch = ARCH_NAMES[context.arch];
  if (!arch) throw new Error(`better-sqlite3 cannot be built for electron-builder arch ${context.arch} (a universal macOS app needs one build per architecture)`);
  await buildElectronSqlite({ platform: context.electronPlatformName, arch });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await buildElectronSqlite();
