/**
 * An inherited target at real size on the device: its memory plan (gpu/train/memory_plan.ts) beside the
 * bytes the trainer really asked for (adapters/devices/buffer_meter.ts), one evaluation pass (the validation loss of one
 * batch), and training steps: the first (compiling and allocating) and the steady ones, as tokens/s and
 * model TFLOP/s (bench/configs.ts counts: 6 per multiplied weight per token, plus attention).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { loadModel } from "../adapters/formats/models.ts";
import type { ModelSpec } from "../core/model/spec.ts";
import { paramCount } from "../core/model/tensors.ts";
import type { KernelCache, KernelProfile } from "../gpu/mod.ts";
import { createGpuTrainer } from "../gpu/train/trainer.ts";
import { planFits } from "../adapters/devices/memory_fit.ts";
import type { AdapterReport } from "../adapters/devices/webgpu_info.ts";
import { trainingMemoryPlan } from "../gpu/train/memory_plan.ts";
import { trainFlopsPerToken } from "./configs.ts";
import type { MemoryMeter } from "../adapters/devices/buffer_meter.ts";
import { HYPER, randomBatch } from "./ours.ts";

export interface ScaleTrainMeasure {
  readonly params: number;
  readonly batch: number;
  readonly ctx: number;
  readonly plan_bytes: number;
  readonly allocated_peak_bytes: number;
  readonly host_rss_bytes: number;
  readonly load_s: number;
  readonly eval_s: number;
  readonly eval_tokens_per_s: number;
  readonly first_step_s: number;
  readonly step_s: number | null;
  readonly train_tokens_per_s: number;
  readonly train_tflops: number;
  readonly loss: number;
}

export interface ScaleGpu {
  readonly kernels: KernelCache;
  readonly profile: KernelProfile;
  readonly info: AdapterReport;
  readonly meter: MemoryMeter;
}

const fail = (e: { readonly message: string }) => {
  throw new Error(e.message);
};

const seconds = async <A>(run: () => Promise<A>): Promise<[A, number]> => {
  const t0 = performance.now(), a = await run();
  return [a, (performance.now() - t0) / 1000];
};

/** Loads `dir`, plans, then evaluates one batch and takes `steps` training steps (≥ 1) of batch × ctx. */
export const measureScaleTraining = async (
  gpu: ScaleGpu,
  dir: string,
  batch: number,
  ctx: number,
  steps: number,
): Promise<ScaleTrainMeasure> => {
  const [loaded, load_s] = await seconds(() => loadModel(dir)());
  const m = E.isLeft(loaded) ? fail(loaded.left) : loaded.right;
  const spec: ModelSpec = m.spec, device = gpu.kernels.device;
  const plan = trainingMemoryPlan(spec, { batch, ctx }, device.limits);
  const fits = planFits(plan, gpu.info, undefined, false); // no checkpoint is saved here
  if (E.isLeft(fits)) fail(fits.left);
  gpu.meter.reset();
  const base = gpu.meter.live(); // what the bench held before this target
  const made = await createGpuTrainer(gpu.kernels, spec, { weights: m.weights }, { profile: gpu.profile })();
  const trainer = E.isLeft(made) ? fail(made.left) : made.right;
  try {
    const mb = randomBatch(spec.vocabSize, batch * ctx);
    const [l0, eval_s] = await seconds(() => trainer.evalLoss(mb, batch, ctx)());
    if (E.isLeft(l0)) fail(l0.left);
    const times: number[] = [];
    let loss = NaN;
    for (let i = 0; i < steps; i++) {
      const [r, dt] = await seconds(() =>
        trainer.step([randomBatch(spec.vocabSize, batch * ctx)], batch, ctx, HYPER)()
      );
      if (E.isLeft(r)) fail(r.left);
      else loss = r.right.loss;
      times.push(dt);
    }
    const steady = times.length > 1 ? times.slice(1).reduce((a, b) => a + b, 0) / (times.length - 1) : null;
    const per = steady ?? times[0]!, tokens = batch * ctx;
    return {
      params: paramCount(spec),
      batch,
      ctx,
      plan_bytes: plan.total,
      allocated_peak_bytes: gpu.meter.peak() - base,
      host_rss_bytes: process.resourceUsage().maxRSS * 1024,
      load_s,
      eval_s,
      eval_tokens_per_s: tokens / eval_s,
      first_step_s: times[0]!,
      step_s: steady,
      train_tokens_per_s: tokens / per,
      train_tflops: (tokens * trainFlopsPerToken(spec, ctx)) / per / 1e12,
      loss,
    };
  } finally {
    trainer.destroy();
  }
};
