/**
 * Helpers for model-level GPU properties: a GpuModel from host weights (failing the test on a
 * Left), and a fast bit-exact comparison that names the first differing element.
 * @module
 */
import { expect } from "vitest";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { createGpuModel, type GpuModel, type GpuModelOptions } from "../../gpu/model/model.ts";
import { type TestGpu, unwrap } from "../../test/gpu/_device.ts";

export const gpuModel = async (gpu: TestGpu, s: ModelSpec, w: Weights, opts?: GpuModelOptions): Promise<GpuModel> =>
  unwrap(await createGpuModel(gpu.kernels, s, w, opts)());

export const expectBitEqual = (what: string, got: Float32Array, want: Float32Array): void => {
  expect(got.length, what).toBe(want.length);
  const bad = want.findIndex((x, i) => !Object.is(x, got[i]));
  expect(bad === -1 ? "bit-equal" : `${what}[${bad}] = ${got[bad]}, expected ${want[bad]}`).toBe("bit-equal");
};
