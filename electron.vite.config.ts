import { resolve } from "node:path";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "electron-vite";

// Main and preload are Node bundles with dependencies left external; the renderer is a plain web
// bundle that the Electron window loads and that `queen-rbee` also serves to browsers.
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve(__dirname, "src/main/index.ts") } },
    },
  },
  preload: {
    build: {
      // The API table (and so zod) is bundled: a sandboxed preload cannot require npm packages.
      externalizeDeps: { exclude: ["zod"] },
      rollupOptions: {
        input: { index: resolve(__dirname, "src/preload/index.ts") },
        // A sandboxed preload must be CommonJS.
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, "src/renderer"),
    base: "./",
    plugins: [react(), tailwindcss()],
    build: {
      outDir: resolve(__dirname, "out/renderer"),
      minify: true,
      rollupOptions: { input: resolve(__dirname, "src/renderer/index.html") },
    },
  },
});
