/**
 * What a training backend offers the loop: one optimizer step over micro-batches, an evaluation
 * loss (an Evaluator is that alone), and its full state for checkpoints. The CPU reference
 * (core/train/cpu_trainer.ts) and the GPU (gpu/train/trainer.ts) implement it; the loop (adapters/train/loop.ts) never knows which it drives.
 * Optimizer: AdamW as llm.c writes it (Loshchilov & Hutter 2019, decoupled decay):
 *   t += 1; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t);
 *   p −= lr·(m̂/(√v̂ + ε) + wd·p), with wd applied to matrices (2-D tensors) only, not to norms or biases.
 * Gradients are of the mean loss over all micro-batches' tokens; before the update they are scaled
 * by min(1, clip / ‖g‖) over all tensors together (global-norm clipping; clip 0 = off).
 * @module
 */
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { AppError } from "../errors.ts";
import type { Distill } from "../ops/distill.ts";
import type { ModelSpec } from "../model/spec.ts";
import type { Weights } from "../model/tensors.ts";

export interface Hyper {
  readonly lr: number; // this step's learning rate (the schedule is applied by the loop)
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly gradClip: number;
}

/** B sequences of T tokens and their next-token targets, (B·T) each. */
export interface MicroBatch {
  readonly tokens: Int32Array;
  readonly targets: Int32Array;
}

export interface StepResult {
  readonly loss: number; // mean over every token of every micro-batch, before the update
  readonly gradNorm: number; // global L2 norm of the gradient, before clipping
}

/** Everything needed to continue exactly: weights and AdamW moments by core tensor name, and t. */
export interface OptimizerState {
  readonly weights: Weights;
  readonly m: Weights;
  readonly v: Weights;
  readonly t: number; // AdamW steps taken
}

/**
 * What scoring a model needs: the mean cross-entropy of a batch under its weights, nothing more (no
 * gradients, no moments). A Trainer is one, at its current weights; an evaluator of fixed weights
 * (core/train/cpu_trainer.ts createCpuEvaluator, gpu/train/evaluator.ts) gives the same bits as a
 * trainer of those weights.
 */
export interface Evaluator {
  readonly spec: ModelSpec;
  /** Mean loss of one batch of B sequences of T tokens, no update. */
  evalLoss(batch: MicroBatch, B: number, T: number): TE.TaskEither<AppError, number>;
  destroy(): void;
}

export interface Trainer extends Evaluator {
  step(batches: ReadonlyArray<MicroBatch>, B: number, T: number, hp: Hyper): TE.TaskEither<AppError, StepResult>;
  state(): TE.TaskEither<AppError, OptimizerState>;
  /** The last step's gradients by core name, before clipping (optional: lets the loop name a non-finite tensor). */
  gradients?(): TE.TaskEither<AppError, Weights>;
}

/**
 * Distillation during training (issue 8; Hinton et al. 2015): a frozen reference, run forward only
 * on every micro-batch's tokens, whose softened logits join the loss (core/ops/distill.ts). It
 * must share the trainee's vocabulary. Evaluation stays plain cross-entropy.
 */
export interface Teacher {
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly kd: Distill;
}

/** Whether a tensor gets weight decay: matrices yes; norm gains and biases no (GPT-2/nanoGPT practice). */
export const decays = (shape: ReadonlyArray<number>): boolean => shape.length >= 2;
