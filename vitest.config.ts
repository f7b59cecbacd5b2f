import { defineConfig } from "vitest/config";

/**
 * The suite in three tiers, each a vitest project (`npm run test:core`, `test:gpu`, `test:e2e`;
 * `npm test` runs all three):
 * - core: the pure core and the file formats, on the CPU (props/core, props/formats, test/core);
 * - gpu: kernels and models on a WebGPU device, lavapipe here (props/gpu, test/gpu);
 * - e2e: the real entry points as processes, the Node bundle and Deno (test/e2e).
 * WebGPU tests share one device per file; files run in parallel across the cores.
 */
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "core",
          include: ["props/core/**/*.test.ts", "props/formats/**/*.test.ts", "test/core/**/*.test.ts"],
        },
      },
      { extends: true, test: { name: "gpu", include: ["props/gpu/**/*.test.ts", "test/gpu/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"] } },
    ],
  },
});
