import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

// The bundle is served by Flask at "/" under a strict CSP (no inline script or style),
// so nothing may be inlined into index.html and assets live under /assets.
export default defineConfig({
  base: "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
