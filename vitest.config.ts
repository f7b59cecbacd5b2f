import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * The suite in three tiers, each a vitest project (`npm run test:core`, `test:gpu`, `test:e2e`;
 * `npm test` runs all three):
 * - core: the pure core and the file formats, on the CPU (props/core, props/formats, test/core);
 * - gpu: kernels and models on a WebGPU device, lavapipe here (props/gpu, test/gpu);
 * - e2e: the real entry points as processes, the Node bundle and Deno (test/e2e).
 * The tiers run one after another (sequence.groupOrder). Core files, plain single-threaded JavaScript,
 * run one per core at once: on 2 cores the tier took about two thirds of its one-at-a-time time (its longest
 * file, the fuzzed loaders, is then most of it). WebGPU tests share one device per file, and gpu files run
 * one at a time (vitest's default, cores − 1): lavapipe already spreads a dispatch over the cores, and two
 * files compiling the same shader at once on a cold Mesa cache each pay for it. e2e files run two at a
 * time: most of their time is CLI processes starting, reading and tokenizing on one core, and the gpu
 * tier before them has compiled the kernels they dispatch (measured on 2 cores: 190 s against 309 s).
 * The Node bundle the e2e files (and core's tokenizer-worker test) run is built once a tier, before
 * its first file (test/build_bundle.ts). On a cold cache, lavapipe compiles a big
 * attention kernel for 2–45 s at its first dispatch, so the GPU and end-to-end tiers allow 10 minutes
 * a test: a time limit there would measure the shader cache, not the code. Files of every tier share
 * one module graph per worker (isolate: false): a fresh process per file spent about 2 s importing it,
 * 60 s a tier (e2e: 6 of its files took 22 CPU s shared against 30 s fresh); each GPU file still
 * acquires and releases its own device, and e2e files mock nothing.
 * The suite keeps lavapipe at 256-bit vectors unless the runner sets LP_NATIVE_VECTOR_WIDTH: on an AVX-512 host the
 * device adapter would choose 512 (adapters/devices/vector_width.ts), whose shader compiles are 2–3× slower, so a
 * cold CI run would grow by minutes and test other kernels on other machines. test/e2e/determinism.test.ts checks
 * the choice itself and that training at 512 bits (lanes16) gives the bits of 256 (lanes);
 * `LP_NATIVE_VECTOR_WIDTH=512 npm run test:gpu` runs every kernel property at 512.
 */
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    env: { LP_NATIVE_VECTOR_WIDTH: process.env.LP_NATIVE_VECTOR_WIDTH ?? "256" },
    projects: [
      {
        extends: true,
        test: {
          name: "core",
          include: ["props/core/**/*.test.ts", "props/formats/**/*.test.ts", "test/core/**/*.test.ts"],
          isolate: false,
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 0 },
          globalSetup: ["test/build_bundle.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "gpu",
          include: ["props/gpu/**/*.test.ts", "test/gpu/**/*.test.ts"],
          testTimeout: 600_000,
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          maxWorkers: 2,
          testTimeout: 600_000,
          isolate: false,
          sequence: { groupOrder: 2 },
          globalSetup: ["test/build_bundle.ts"],
        },
      },
    ],
  },
});
