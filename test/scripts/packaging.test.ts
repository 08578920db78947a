// The installers' configuration (electron-builder.yml), read and matched by electron-builder's own
// code: its config loader and schema, and the file matchers it copies and unpacks the app with
// (app-builder-lib, electron-builder's library: pinned with it). No Electron and no packaging here:
// which files an installer would hold is decided by these patterns alone.
import { existsSync, readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

type Config = Record<string, unknown> & {
  appId?: string;
  productName?: string;
  asar?: boolean | object;
  asarUnpack?: string | string[];
  files?: unknown;
  npmRebuild?: boolean;
  beforePack?: string;
  directories?: { output?: string; buildResources?: string };
};
type Filter = (file: string, stat: Stats) => boolean;
interface Matcher {
  createFilter(): Filter;
}
interface PackagerInfo {
  projectDir: string;
  buildResourcesDir: string;
  config: Config;
  isPrepackedAppAsar: boolean;
  debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void };
}
const { getConfig, validateConfiguration } = require("app-builder-lib/out/util/config/config.js") as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: Config | null): Promise<Config>;
  validateConfiguration(config: Config, debugLogger: PackagerInfo["debugLogger"]): Promise<void>;
};
// The matchers electron-builder builds for the app's own files, for node_modules and for asarUnpack.
const { getMainFileMatchers, getNodeModuleFileMatcher, getFileMatchers } = require("app-builder-lib/out/fileMatcher.js") as {
  getMainFileMatchers(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformSpecificBuildOptions: object,
    platformPackager: { info: PackagerInfo },
    outDir: string,
    isElectronCompile: boolean,
  ): Matcher[];
  getNodeModuleFileMatcher(appDir: string, destination: string, macroExpander: (pattern: string) => string, platformSpecificBuildOptions: object, packager: PackagerInfo): Matcher;
  getFileMatchers(
    config: Config,
    name: "asarUnpack",
    destination: string,
    options: { macroExpander: (pattern: string) => string; customBuildOptions: object; globalOutDir: string; defaultSrc: string },
  ): Matcher[] | null;
};

/** One platform and architecture an installer is built for (electron-builder's `${os}` and `${arch}`). */
type Build = { readonly os: "linux" | "mac" | "win"; readonly arch: "x64" | "arm64" };
const BUILDS: readonly Build[] = [
  { os: "linux", arch: "x64" },
  { os: "mac", arch: "arm64" },
  { os: "win", arch: "x64" },
];
const NODE_PLATFORM = { linux: "linux", mac: "darwin", win: "win32" } as const;

const FILE = { isDirectory: () => false, isFile: () => true, isSymbolicLink: () => false } as unknown as Stats;
const DESTINATION = join(ROOT, "release", "test-unpacked", "resources", "app");

let config: Config;

/** What electron-builder would do with each path of the project (relative, posix) for one build. */
function matchersFor(build: Build): { packed(path: string): boolean; unpacked(path: string): boolean } {
  const macro = (pattern: string): string =>
    pattern.replaceAll("${os}", build.os).replaceAll("${arch}", build.arch).replaceAll("${platform}", NODE_PLATFORM[build.os]);
  const info: PackagerInfo = {
    projectDir: ROOT,
    buildResourcesDir: config.directories?.buildResources ?? "build",
    config: structuredClone(config),
    isPrepackedAppAsar: false,
    debugLogger: { isEnabled: false, add: () => undefined },
  };
  const outDir = join(ROOT, config.directories?.output ?? "dist");
  const main = getMainFileMatchers(ROOT, DESTINATION, macro, {}, { info }, outDir, false).map((matcher) => matcher.createFilter());
  const modules = getNodeModuleFileMatcher(ROOT, DESTINATION, macro, {}, info).createFilter();
  const unpack = getFileMatchers(info.config, "asarUnpack", DESTINATION, { macroExpander: macro, customBuildOptions: {}, globalOutDir: outDir, defaultSrc: ROOT });
  const unpackFilter = unpack?.[0]?.createFilter();
  // A file electron-builder copies: node_modules through its dependency collector (only the
  // exclusions of `files` apply there), the rest through the main matcher.
  const packed = (path: string): boolean => {
    const file = join(ROOT, path);
    return path.startsWith("node_modules/") ? modules(file, FILE) : main.some((filter) => filter(file, FILE));
  };
  // Outside app.asar: no asar at all, or matched by asarUnpack.
  const unpacked = (path: string): boolean => config.asar === false || (unpackFilter?.(join(ROOT, path), FILE) ?? false);
  return { packed, unpacked };
}

/** Every file below a folder of the project, relative and posix. */
function filesUnder(folder: string): string[] {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => posix.join(folder, name.split("\\").join("/")))
    .filter((path) => statSync(join(ROOT, path)).isFile());
}

/**
 * The modules a program loads, followed through src/ (dist/ mirrors it once built), and the npm
 * packages they import: what the hive and its workers need next to them at run time.
 */
function importClosure(entries: readonly string[]): { readonly dist: string[]; readonly packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith(".")) {
        const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, ".ts");
        if (existsSync(join(ROOT, target))) queue.push(target);
      } else if (!specifier.startsWith("node:")) {
        const parts = specifier.split("/");
        packages.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
      }
    }
  }
  // tsc writes a .js for every module, type-only ones included.
  const dist = [...seen].map((file) => file.replace(/^src\//, "dist/").replace(/\.ts$/, ".js"));
  return { dist: dist.sort(), packages: [...packages].sort() };
}

function targetsOf(platform: unknown): string[] {
  const target = (platform as { target?: unknown } | undefined)?.target;
  const list = Array.isArray(target) ? target : target === undefined ? [] : [target];
  return list.map((entry) => (typeof entry === "string" ? entry : (entry as { target: string }).target));
}

beforeAll(async () => {
  config = await getConfig(ROOT, null, null);
});

describe("electron-builder.yml", () => {
  it("is the configuration electron-builder finds, and its schema accepts it", async () => {
    expect(existsSync(join(ROOT, "electron-builder.yml"))).toBe(true);
    expect(config.appId).toBe("dev.rbee.desktop");
    expect(config.productName).toBe("rbee");
    await expect(validateConfiguration(structuredClone(config), { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.dist).toMatch(/^npm run build && electron-builder\b/);
  });

  it("builds AppImage and deb on Linux, a dmg on macOS and an NSIS installer on Windows", () => {
    expect(targetsOf(config.linux).sort()).toEqual(["AppImage", "deb"]);
    expect(targetsOf(config.mac)).toEqual(["dmg"]);
    expect(targetsOf(config.win)).toEqual(["nsis"]);
  });

  it("writes the installers outside dist/ and out/ (which it packs)", () => {
    const output = config.directories?.output;
    expect(output).toBeDefined();
    expect(["dist", "out"]).not.toContain(output!.split("/")[0]);
  });

  it("packs the Electron build of better-sqlite3 that its beforePack hook makes in out/native, and no Node build", async () => {
    // electron-builder's rebuild of node_modules in place stays off: it would break the Node build.
    expect(config.npmRebuild).toBe(false);
    expect(config.beforePack).toBe("./scripts/build-electron-sqlite.mjs");
    const hook = (await import(pathToFileURL(join(ROOT, "scripts/build-electron-sqlite.mjs")).href)) as { beforePack: (context: { arch: number; electronPlatformName: string }) => Promise<void> };
    expect(hook.beforePack).toBeTypeOf("function");
    // electron-builder's Arch.universal: one build serves one architecture.
    await expect(hook.beforePack({ arch: 4, electronPlatformName: "darwin" })).rejects.toThrow(/universal/);
    for (const build of BUILDS) {
      const { packed, unpacked } = matchersFor(build);
      expect(packed("out/native/better_sqlite3.node"), build.os).toBe(true);
      expect(unpacked("out/native/better_sqlite3.node"), build.os).toBe(true);
      expect(packed("out/native/better_sqlite3.electron-version"), build.os).toBe(false);
      expect(packed("out/native/stage/node_modules/better-sqlite3/build/Release/better_sqlite3.node"), build.os).toBe(false);
      expect(packed("node_modules/better-sqlite3/lib/index.js"), build.os).toBe(true);
      expect(packed("node_modules/better-sqlite3/build/Release/better_sqlite3.node"), build.os).toBe(false);
      expect(packed("node_modules/cpu-features/build/Release/cpufeatures.node"), build.os).toBe(false);
      expect(packed("node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node"), build.os).toBe(false);
      expect(packed("node_modules/ssh2/lib/index.js"), build.os).toBe(true);
    }
  });

  describe.each(BUILDS)("for $os-$arch", (build) => {
    it("packs the app: out/ bundles, tray icons, package.json, dist/ programs", () => {
      const { packed } = matchersFor(build);
      const app = ["package.json", "out/main/index.js", "out/preload/index.cjs", "out/renderer/index.html", "out/renderer/assets/index-abc.js"];
      const icons = filesUnder("resources").filter((path) => path.endsWith(".png"));
      expect(icons.length).toBeGreaterThan(0);
      const programs = ["dist/bin/rbee-hive.js", "dist/bin/llm-worker-rbee.js", "dist/bin/queen-rbee.js", "dist/bin/rbee-keeper.js"];
      for (const path of [...app, ...icons, ...programs]) expect(packed(path), path).toBe(true);
    });

    it("packs no tests, bench, e2e, src, docs or tooling", () => {
      const { packed } = matchersFor(build);
      const folders = ["test", "bench", "e2e", "src", "docs", "scripts", ".github"];
      const sources = folders.flatMap(filesUnder);
      expect(sources.length).toBeGreaterThan(100);
      const tooling = readdirSync(ROOT).filter((name) => statSync(join(ROOT, name)).isFile() && name !== "package.json");
      expect(tooling).toEqual(expect.arrayContaining(["electron-builder.yml", "tsconfig.json", "README.md", "package-lock.json"]));
      const leaked = [...sources, ...tooling].filter(packed);
      expect(leaked).toEqual([]);
      // Source maps and declarations the build writes next to dist/ stay out too.
      expect(packed("dist/bin/rbee-hive.js.map")).toBe(false);
      expect(packed("dist/hive/daemon.d.ts")).toBe(false);
    });

    it("packs everything rbee-hive and llm-worker-rbee load, outside app.asar: dist/ and their packages", () => {
      const { packed, unpacked } = matchersFor(build);
      const closure = importClosure(["src/bin/rbee-hive.ts", "src/bin/llm-worker-rbee.ts"]);
      // What the local node runs: the hive, the worker and what they import of dist/.
      expect(closure.dist).toEqual(expect.arrayContaining(["dist/bin/rbee-hive.js", "dist/hive/daemon.js", "dist/bin/llm-worker-rbee.js"]));
      expect(closure.dist.some((path) => path.startsWith("dist/worker/"))).toBe(true);
      expect(closure.dist.some((path) => path.startsWith("dist/shared/"))).toBe(true);
      expect(closure.dist.some((path) => path.startsWith("dist/node-common/"))).toBe(true);
      expect(closure.packages).toContain("node-llama-cpp");
      const files = [...closure.dist, ...closure.packages.flatMap((name) => [`node_modules/${name}/package.json`, `node_modules/${name}/dist/index.js`])];
      // package.json ("type": "module") decides how Node loads dist/ once it is outside app.asar.
      files.push("package.json");
      expect(files.filter((path) => !packed(path))).toEqual([]);
      expect(files.filter((path) => !unpacked(path))).toEqual([]);
    });

    it("packs node-llama-cpp's prebuilt binaries for this platform and architecture only, outside app.asar", () => {
      const { packed, unpacked } = matchersFor(build);
      const own = {
        linux: ["@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node", "@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/llama-addon.node"],
        mac: ["@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/llama-addon.node"],
        win: ["@node-llama-cpp/win-x64/bins/win-x64/llama-addon.node", "@node-llama-cpp/win-x64-vulkan/bins/win-x64-vulkan/llama-addon.node"],
      }[build.os].map((path) => `node_modules/${path}`);
      for (const path of own) {
        expect(packed(path), path).toBe(true);
        expect(unpacked(path), path).toBe(true);
      }
      const other = build.os === "linux" ? "linux-arm64" : build.os === "mac" ? "mac-x64" : "win-arm64";
      expect(packed(`node_modules/@node-llama-cpp/${other}/bins/${other}/llama-addon.node`)).toBe(false);
      expect(unpacked("node_modules/node-llama-cpp/dist/index.js")).toBe(true);
    });
  });
});
