import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["props/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // WebGPU tests share one lavapipe device per file; files run in parallel across the 2 cores.
    pool: "forks",
  },
});
