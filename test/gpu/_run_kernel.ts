/**
 * Running one kernel on host arrays: inputs uploaded, outputs poisoned with NaN (so an element the
 * kernel never writes fails any comparison), one batch, outputs read back.
 * @module
 */
import {
  type AnyKernel,
  createBatch,
  createTensor,
  type DType,
  dtypeOfElement,
  fill,
  type GpuTensor,
  upload,
} from "../../gpu/mod.ts";
import type { BindingsFor, UniformsFor } from "../../gpu/engine/batch.ts";
import { type TestGpu, unwrap } from "./_device.ts";

export type HostArray = Float32Array | Int32Array | Uint32Array;

const dtypeOf = (kernel: AnyKernel, name: string) =>
  dtypeOfElement(kernel.bindings.find((b) => b.name === name)?.type ?? "f32");

/**
 * Runs `kernel` once: `inputs` uploaded to the bindings of their names, every other binding named
 * in `outputs` (name → length) made with its declared dtype and poisoned (NaN for f32, all ones
 * for integers), then every binding in `outputs` read back.
 */
export const runKernelArrays = async <K extends AnyKernel>(
  gpu: TestGpu,
  kernel: K,
  inputs: Readonly<Record<string, HostArray>>,
  outputs: Readonly<Record<string, number>>,
  uniforms: UniformsFor<K>,
  variant = "default",
): Promise<Record<string, HostArray>> => {
  const { device, kernels } = gpu;
  const made: GpuTensor[] = [];
  const tensor = (name: string, n: number, dtype: DType) => {
    const t = unwrap(createTensor(device, `${kernel.name} ${name}`, [Math.max(n, 1)], dtype));
    made.push(t);
    return t;
  };
  const bindings: Record<string, GpuTensor> = {};
  for (const [name, data] of Object.entries(inputs)) {
    const t = tensor(
      name,
      data.length,
      data instanceof Int32Array ? "i32" : data instanceof Uint32Array ? "u32" : "f32",
    );
    upload(device, t as GpuTensor<"f32" | "i32" | "u32">, data as never);
    bindings[name] = t;
  }
  for (const [name, n] of Object.entries(outputs)) {
    const dtype = dtypeOf(kernel, name);
    if (bindings[name] === undefined) fill(device, bindings[name] = tensor(name, n, dtype), dtype === "f32" ? NaN : -1);
  }
  const compiled = unwrap(await kernels.compile(kernel, variant)());
  const batch = createBatch(device, `${kernel.name} test`);
  batch.dispatch(compiled, bindings as BindingsFor<K>, uniforms);
  const handles = Object.keys(outputs).map((name) => [name, batch.read(bindings[name]!)] as const);
  const r = unwrap(await batch.submit()());
  made.forEach((t) => t.buffer.destroy());
  return Object.fromEntries(handles.map(([name, h]) => [name, r.get(h)]));
};

/** runKernelArrays for kernels whose outputs are all f32. */
export const runKernel = async <K extends AnyKernel>(
  gpu: TestGpu,
  kernel: K,
  inputs: Readonly<Record<string, HostArray>>,
  outputs: Readonly<Record<string, number>>,
  uniforms: UniformsFor<K>,
  variant = "default",
): Promise<Record<string, Float32Array>> =>
  (await runKernelArrays(gpu, kernel, inputs, outputs, uniforms, variant)) as Record<string, Float32Array>;

const U = 2 ** -24; // f32 unit roundoff
const MIN_NORMAL = 2 ** -126; // WGSL may flush subnormal results to zero

/**
 * Largest error over all elements in units of each element's allowance: ≤ 1 passes.
 * allowance[i] = ulps · max(u · scale[i], 2^−126), where scale is the size of the terms the element was built from.
 */
export const worstRatio = (
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  scale: ArrayLike<number>,
  ulps: number,
): { ratio: number; at: number; maxAbs: number } => {
  let ratio = 0, at = -1, maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const r = Number.isNaN(err) ? Infinity : err / (ulps * Math.max(U * scale[i]!, MIN_NORMAL));
    maxAbs = Math.max(maxAbs, Number.isNaN(err) ? Infinity : err);
    if (r > ratio) [ratio, at] = [r, i];
  }
  return { ratio, at, maxAbs };
};

/** For each element of a (rows, V) array, the largest |value| in its row. */
export const rowMaxAbs = (a: ArrayLike<number>, V: number): Float64Array => {
  const out = new Float64Array(a.length);
  for (let r = 0; r * V < a.length; r++) {
    let m = 0;
    for (let i = r * V; i < (r + 1) * V; i++) m = Math.max(m, Math.abs(a[i]!));
    out.fill(m, r * V, (r + 1) * V);
  }
  return out;
};
