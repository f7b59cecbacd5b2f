/**
 * Our engine, measured: linear-kernel GFLOP/s, forward and training tokens/s, a training step
 * split into kernels (timestamp queries) and the rest (host: recording, encoding, submitting,
 * awaiting), and the peak of live buffer bytes. Wall clocks around whole submits; each number
 * after one untimed warm-up, over repeats that last at least `minMs`.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { DEFAULTS } from "../adapters/train/settings.ts";
import type { Hyper, MicroBatch } from "../core/train/trainer.ts";
import {
  ceilDiv,
  createBatch,
  createTensor,
  destroyTensor,
  type KernelCache,
  type KernelProfile,
  upload,
} from "../gpu/mod.ts";
import { forwardKernels } from "../gpu/model/forward_kernels.ts";
import { createGpuModel } from "../gpu/model/model.ts";
import { createGpuTrainer } from "../gpu/train/trainer.ts";
import { type BenchConfig } from "./configs.ts";
import type { MemoryMeter } from "../adapters/devices/buffer_meter.ts";

/** The run defaults' optimizer (adapters/train/settings.ts) at the peak learning rate. */
export const HYPER: Hyper = {
  lr: DEFAULTS.lr,
  beta1: DEFAULTS.beta1,
  beta2: DEFAULTS.beta2,
  eps: DEFAULTS.eps,
  weightDecay: DEFAULTS.weightDecay,
  gradClip: DEFAULTS.gradClip,
};

const unwrap = <A>(r: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** Mean ms of `run` over repeats lasting at least minMs (at least 2, at most maxReps), after `warmups` runs. */
export const timeIt = async (minMs: number, run: () => Promise<void>, maxReps = 50, warmups = 3): Promise<number> => {
  for (let w = 0; w < warmups; w++) await run(); // compiles, first touches, and lets pacing (gpu/engine/pacing.ts) learn the batch's time
  const t0 = performance.now();
  let reps = 0;
  while ((reps < 2 || performance.now() - t0 < minMs) && reps < maxReps) {
    await run();
    reps++;
  }
  return (performance.now() - t0) / reps;
};

export const randomBatch = (V: number, n: number): MicroBatch => {
  const tokens = Int32Array.from({ length: n + 1 }, () => Math.floor(Math.random() * V));
  return { tokens: tokens.slice(0, n), targets: tokens.slice(1) };
};

/** GFLOP/s of the profile's fast linear forward on y (N, O) = x (N, I)·Wᵀ (O a multiple of 4), `reps` dispatches per submit. */
export const matmulGflops = async (
  cache: KernelCache,
  profile: KernelProfile,
  N: number,
  I: number,
  O: number,
  minMs: number,
): Promise<number> => {
  const device = cache.device, k = forwardKernels(profile);
  const [x, wt, y, dummy] = [[N, I], [I, O], [N, O], [4]].map((shape, i) =>
    unwrap(createTensor(device, `bench matmul ${i}`, shape, "f32"))
  );
  upload(device, x!, Float32Array.from({ length: N * I }, () => Math.random() - 0.5));
  upload(device, wt!, Float32Array.from({ length: I * O }, () => Math.random() - 0.5));
  const flops = 2 * N * I * O, reps = Math.max(1, Math.min(50, ceilDiv(2e8, flops)));
  const u = { N, I, O, ldy: O, yOff: 0, bOff: 0, useBias: 0, useRes: 0, xRow0: 0 };
  const compiled = unwrap(await cache.compile(k.matmulFast)());
  const ms = await timeIt(minMs, async () => {
    const batch = createBatch(device, "bench matmul");
    for (let r = 0; r < reps; r++) batch.dispatch(compiled, { x: x!, wt: wt!, b: dummy!, res: dummy!, y: y! }, u);
    batch.read(dummy!);
    unwrap(await batch.submit()());
  });
  [x, wt, y, dummy].forEach((t) => destroyTensor(t!));
  return (reps * flops) / ms / 1e6;
};

export interface TrainMeasure {
  readonly forward_tokens_per_s: number;
  readonly tokens_per_s: number;
  readonly step_ms: number;
  readonly timed_step_ms: number;
  readonly kernel_ms: number;
  readonly host_ms: number;
  readonly kernels: ReadonlyArray<{ readonly kernel: string; readonly ms: number; readonly count: number }>;
  readonly peak_bytes: number;
}

const byKernel = (times: ReadonlyArray<{ kernel: string; ns: number }>) => {
  const m = new Map<string, { ms: number; count: number }>();
  for (const t of times) {
    const e = m.get(t.kernel) ?? { ms: 0, count: 0 };
    m.set(t.kernel, { ms: e.ms + t.ns / 1e6, count: e.count + 1 });
  }
  return [...m.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
};

export const measureConfig = async (
  cache: KernelCache,
  profile: KernelProfile,
  c: BenchConfig,
  meter: MemoryMeter,
  minMs: number,
): Promise<TrainMeasure> => {
  const { spec, weights, B, T } = c, N = B * T, mb = randomBatch(spec.vocabSize, N);
  const model = unwrap(await createGpuModel(cache, spec, weights, { profile })());
  const fwdMs = await timeIt(minMs, async () => {
    unwrap(await model.forward(mb.tokens, B, T)());
  }, 10);
  model.destroy();
  meter.reset();
  const trainer = unwrap(await createGpuTrainer(cache, spec, { weights }, { profile })());
  const stepMs = await timeIt(minMs, async () => {
    unwrap(await trainer.step([mb], B, T, HYPER)());
  }, 10);
  const peak = meter.peak();
  trainer.destroy();
  // The split comes from a timed step (a pass per dispatch, so a little slower than stepMs): its
  // kernels' GPU time, and the rest of its wall time (recording, encoding, submit, await) as host.
  let kernels: TrainMeasure["kernels"] = [], timedMs = NaN;
  if (cache.device.features.has("timestamp-query")) {
    const timed = unwrap(await createGpuTrainer(cache, spec, { weights }, { profile, timestamps: true })());
    timedMs = await timeIt(
      0,
      async () => {
        unwrap(await timed.step([mb], B, T, HYPER)());
      },
      1,
      1,
    );
    kernels = byKernel(timed.lastKernelTimes());
    timed.destroy();
  }
  const kernelMs = kernels.reduce((s, k) => s + k.ms, 0);
  return {
    forward_tokens_per_s: N / (fwdMs / 1e3),
    tokens_per_s: N / (stepMs / 1e3),
    step_ms: stepMs,
    timed_step_ms: timedMs,
    kernel_ms: kernelMs,
    host_ms: timedMs - kernelMs,
    kernels,
    peak_bytes: peak,
  };
};
