import { defineConfig } from "vitest/config";

/**
 * The suite in three tiers, each a vitest project (`npm run test:core`, `test:gpu`, `test:e2e`;
 * `npm test` runs all three):
 * - core: the pure core and the file formats, on the CPU (props/core, props/formats, test/core);
 * - gpu: kernels and models on a WebGPU device, lavapipe here (props/gpu, test/gpu);
 * - e2e: the real entry points as processes, the Node bundle and Deno (test/e2e).
 * WebGPU tests share one device per file. Files run one at a time on this 2-core machine (vitest's
 * default, cores − 1): lavapipe already spreads a dispatch over the cores, and two files compiling the
 * same shader at once on a cold Mesa cache each pay for it. On a cold cache, lavapipe compiles a big
 * attention kernel for 2–45 s at its first dispatch, so the GPU and end-to-end tiers allow 10 minutes
 * a test: a time limit there would measure the shader cache, not the code. Files of the core and gpu
 * tiers share one module graph per worker (isolate: false): a fresh process per file spent about 2 s
 * importing it, 60 s a tier; each GPU file still acquires and releases its own device.
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
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "gpu",
          include: ["props/gpu/**/*.test.ts", "test/gpu/**/*.test.ts"],
          testTimeout: 600_000,
          isolate: false,
        },
      },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 600_000 } },
    ],
  },
});
