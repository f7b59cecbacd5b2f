/**
 * One Node (Dawn on lavapipe) device per test file. A missing adapter FAILS the file with the
 * adapter error and its hint; it never skips, so a CI machine without Mesa cannot pass quietly.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll } from "vitest";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { type AcquiredDevice } from "../../adapters/devices/webgpu_device.ts";
import { cpuFlags, lavapipeWidth } from "../../adapters/devices/vector_width.ts";
import { createKernelCache, KERNEL_PROFILES, type KernelCache, type KernelProfile } from "../../gpu/mod.ts";

export interface TestGpu extends AcquiredDevice {
  readonly kernels: KernelCache;
}

/**
 * The kernel families the whole-model properties run: KERNEL_PROFILES (which lavapipe holds at either width), and
 * lanes16 where this run gives lavapipe 512-bit vectors (`LP_NATIVE_VECTOR_WIDTH=512 npm run test:gpu`; the suite
 * pins 256 otherwise, vitest.config.ts). Chosen when the files are collected, before any device exists, by the
 * device adapter's own rule (adapters/devices/vector_width.ts).
 */
export const MODEL_PROFILES: readonly KernelProfile[] = lavapipeWidth(process.env, cpuFlags()) === "512"
  ? [...KERNEL_PROFILES, "lanes16"]
  : KERNEL_PROFILES;

/** Call at the top of a test file; the returned getter works inside tests. */
export const useGpu = (): () => TestGpu => {
  let gpu: TestGpu | undefined;
  beforeAll(async () => {
    const r = await getNodeDevice()();
    if (E.isLeft(r)) throw new Error(`${r.left.message}\n---> HINT: ${r.left.hint}`);
    gpu = { ...r.right, kernels: createKernelCache(r.right.device) };
  });
  afterAll(() => gpu?.release());
  return () => {
    if (gpu === undefined) throw new Error("Cannot use the test GPU: beforeAll did not get a device");
    return gpu;
  };
};

/** Unwraps a Right; a Left fails the test with its message and hint. */
export const unwrap = <A>(r: E.Either<{ readonly message: string; readonly hint: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(`${r.left.message}\n---> HINT: ${r.left.hint}`);
  return r.right;
};
