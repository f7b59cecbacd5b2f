/**
 * The adapter's measured peak for training's MFU: GFLOP/s of the kernel family's fast linear forward
 * (y = x·Wᵀ, the kernel most of a step's FLOPs go through) on an n × n × n product, the fastest of a few submits
 * after one warm-up that compiles it. It is the same yardstick as the bench's matmul row (bench/ours.ts), so a
 * run's MFU and the bench's agree; on a GPU whose vendor peak is known the ratio to that would be lower.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { createBatch } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { forwardKernels } from "./forward_kernels.ts";

/** GFLOP/s of `reps` n³ products per submit, over `rounds` submits after a warm-up; n a multiple of 4. */
export const linearPeakGflops = (
  cache: KernelCache,
  profile: KernelProfile,
  n = 1024,
  rounds = 3,
  reps = 2,
): TE.TaskEither<GpuError, number> =>
async () => {
  const device = cache.device, made: GpuTensor<"f32">[] = [];
  for (const shape of [[n, n], [n, n], [n, n], [4]]) {
    const t = createTensor(device, "peak probe", shape, "f32");
    if (E.isLeft(t)) return (made.forEach(destroyTensor), t);
    made.push(t.right);
  }
  const [x, wt, y, dummy] = made as [GpuTensor<"f32">, GpuTensor<"f32">, GpuTensor<"f32">, GpuTensor<"f32">];
  try {
    upload(device, x, Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
    upload(device, wt, Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5));
    const k = await cache.compile(forwardKernels(profile).matmulFast)();
    if (E.isLeft(k)) return k;
    const u = { N: n, I: n, O: n, ldy: n, yOff: 0, bOff: 0, useBias: 0, useRes: 0, xRow0: 0 };
    const submit = async () => {
      const batch = createBatch(device, "peak probe");
      for (let r = 0; r < reps; r++) batch.dispatch(k.right, { x, wt, b: dummy, res: dummy, y }, u);
      batch.read(dummy);
      return batch.submit()();
    };
    const warm = await submit();
    if (E.isLeft(warm)) return warm;
    let best = Infinity; // a peak: the fastest round, as other processes only ever slow one down
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now(), r = await submit();
      if (E.isLeft(r)) return r;
      best = Math.min(best, performance.now() - t0);
    }
    return E.right((reps * 2 * n ** 3) / best / 1e6);
  } finally {
    made.forEach(destroyTensor);
  }
};
