/**
 * Scoring on the GPU without a trainer: an Evaluator (core/train/trainer.ts) over the model's own
 * forward (gpu/model/model.ts loss), so a reference's or a saved model's validation loss needs no
 * gradients and no AdamW moments on the device. The same forward and cross-entropy kernels, and
 * the same host-side mean, as the trainer's evalLoss: the same bits (props/gpu/evaluator.test.ts).
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Evaluator } from "../../core/train/trainer.ts";
import type { KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { createGpuModel, type GpuModel, type GpuModelOptions } from "../model/model.ts";

/**
 * An Evaluator of fixed weights on the device, in the adapter's kernel family ("cpu" when left out),
 * its model-sized tensors bound in views of at most `maxBindingBytes` (gpu/model/model.ts; the device's limit by default).
 */
export const createGpuEvaluator = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  opts: Pick<GpuModelOptions, "profile" | "maxBindingBytes"> = {},
): TE.TaskEither<GpuError, Evaluator> =>
  TE.map((model: GpuModel): Evaluator => ({
    spec,
    evalLoss: (batch, B, T) => model.loss(batch.tokens, batch.targets, B, T),
    destroy: () => model.destroy(),
  }))(createGpuModel(cache, spec, weights, { ...opts, profile: opts.profile ?? "cpu" }));
