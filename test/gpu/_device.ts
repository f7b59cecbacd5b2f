/**
 * One Node (Dawn on lavapipe) device per test file. A missing adapter FAILS the file with the
 * adapter error and its hint; it never skips, so a CI machine without Mesa cannot pass quietly.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll } from "vitest";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { type AcquiredDevice } from "../../adapters/devices/webgpu_device.ts";
import { createKernelCache, type KernelCache } from "../../gpu/mod.ts";

export interface TestGpu extends AcquiredDevice {
  readonly kernels: KernelCache;
}

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
