// Layers are enforced here, not hoped for (STYLE.md 1-2).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const NODE_BUILTINS = { group: ["node:*"], message: "This layer runs without Node: no node:* imports." };
const ELECTRON = { name: "electron", message: "Only src/main and src/preload may import electron." };
const REACT = [
  { name: "react", message: "The shared contract is UI-free." },
  { name: "react-dom", message: "The shared contract is UI-free." },
];
const outside = (...layers) => ({
  group: layers.map((layer) => `**/${layer}/**`),
  message: `This layer does not import ${layers.join(", ")}: the queen, the remote programs and the UI share only src/shared (and Node code src/node-common).`,
});

export default tseslint.config(
  { ignores: ["dist/**", "out/**", "release/**", ".tsbuild/**", "node_modules/**", "test-results/**", "playwright-report/**", "e2e/artifacts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-control-regex": "off",
    },
  },
  {
    files: ["src/core/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: [ELECTRON, ...REACT], patterns: [outside("main", "preload", "renderer", "hive", "worker", "keeper")] }],
    },
  },
  {
    files: ["src/shared/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [ELECTRON, ...REACT], patterns: [NODE_BUILTINS, outside("core", "main", "preload", "renderer", "hive", "worker", "keeper")] },
      ],
    },
  },
  {
    files: ["src/renderer/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [ELECTRON], patterns: [NODE_BUILTINS, outside("core", "main", "preload", "hive", "worker", "keeper")] },
      ],
    },
  },
  {
    files: ["src/hive/**"],
    rules: { "no-restricted-imports": ["error", { paths: [ELECTRON, ...REACT], patterns: [outside("core", "main", "preload", "renderer", "keeper", "worker")] }] },
  },
  {
    files: ["src/worker/**"],
    rules: { "no-restricted-imports": ["error", { paths: [ELECTRON, ...REACT], patterns: [outside("core", "main", "preload", "renderer", "keeper", "hive")] }] },
  },
  {
    files: ["src/node-common/**"],
    rules: { "no-restricted-imports": ["error", { paths: [ELECTRON, ...REACT], patterns: [outside("core", "main", "preload", "renderer", "keeper", "hive", "worker")] }] },
  },
  {
    files: ["src/keeper/**"],
    rules: { "no-restricted-imports": ["error", { paths: [ELECTRON, ...REACT], patterns: [outside("core", "main", "preload", "renderer", "hive", "worker")] }] },
  },
);
