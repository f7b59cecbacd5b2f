/**
 * The Trainer (core/train/trainer.ts) on the CPU reference: gradients from core/model/backward.ts, averaged
 * over the K micro-batches (each weighted 1/K, summed in float64, rounded once), clipped by the
 * global norm and applied by core/ops/adamw.ts. Slow but plain: the oracle the GPU trainer answers to,
 * and `--backend cpu`. Arrays are replaced on every step, never written in place, so the state it
 * hands out stays valid.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { adamwStep, clipScale, globalNorm } from "../ops/adamw.ts";
import { lossAndGrads } from "../model/backward.ts";
import type { AppError } from "../errors.ts";
import { forward } from "../model/forward.ts";
import { meanCrossEntropy } from "../ops/cross_entropy.ts";
import type { ModelSpec } from "../model/spec.ts";
import { allTensors, numel, type Weights } from "../model/tensors.ts";
import {
  decays,
  type Evaluator,
  type Hyper,
  type MicroBatch,
  type OptimizerState,
  type StepResult,
  type Teacher,
  type Trainer,
} from "./trainer.ts";

const zerosLike = (s: ModelSpec): Weights =>
  Object.fromEntries(allTensors(s).map((t) => [t.name, new Float32Array(numel(t.shape))]));

/** The starting state: given moments, or zero moments at t = 0. Weights are copied. */
export const initialState = (s: ModelSpec, init: OptimizerState | { readonly weights: Weights }): OptimizerState =>
  "m" in init ? init : {
    weights: Object.fromEntries(Object.entries(init.weights).map(([k, a]) => [k, a.slice()])),
    m: zerosLike(s),
    v: zerosLike(s),
    t: 0,
  };

/** Mean loss and gradients of all micro-batches together (they share B and T, so the mean of means is the mean). */
export const accumulatedGrads = (
  s: ModelSpec,
  w: Weights,
  batches: ReadonlyArray<MicroBatch>,
  B: number,
  T: number,
  teacher?: Teacher,
): { loss: number; grads: Weights } => {
  const K = batches.length, sums: Record<string, Float64Array> = {};
  let loss = 0;
  for (const mb of batches) {
    const soft = teacher && { logits: forward(teacher.spec, teacher.weights, mb.tokens, B, T).logits, kd: teacher.kd };
    const r = lossAndGrads(s, w, mb.tokens, mb.targets, B, T, soft);
    loss += r.loss / K;
    for (const [name, g] of Object.entries(r.grads)) {
      const acc = (sums[name] ??= new Float64Array(g.length));
      for (let i = 0; i < g.length; i++) acc[i] = acc[i]! + g[i]! / K;
    }
  }
  // With K = 1 the float64 sums hold f32 values exactly, so rounding back returns them unchanged.
  return { loss, grads: Object.fromEntries(Object.entries(sums).map(([k, a]) => [k, Float32Array.from(a)])) };
};

/** One optimizer step of a state: pure, the oracle for a GPU step. */
export const cpuStep = (
  s: ModelSpec,
  st: OptimizerState,
  batches: ReadonlyArray<MicroBatch>,
  B: number,
  T: number,
  hp: Hyper,
  teacher?: Teacher,
): { state: OptimizerState; result: StepResult; grads: Weights } => {
  const { loss, grads } = accumulatedGrads(s, st.weights, batches, B, T, teacher);
  const gradNorm = globalNorm(grads), scale = clipScale(gradNorm, hp.gradClip), t = st.t + 1;
  const weights: Record<string, Float32Array> = {},
    m: Record<string, Float32Array> = {},
    v: Record<string, Float32Array> = {};
  for (const info of allTensors(s)) {
    const k = info.name;
    const r = adamwStep(st.weights[k]!, grads[k]!, st.m[k]!, st.v[k]!, t, hp, decays(info.shape), scale);
    [weights[k], m[k], v[k]] = [r.param, r.m, r.v];
  }
  return { state: { weights, m, v, t }, result: { loss, gradNorm }, grads };
};

/** Mean loss of one batch on the CPU forward. */
export const cpuEvalLoss = (s: ModelSpec, w: Weights, batch: MicroBatch, B: number, T: number): number =>
  meanCrossEntropy(forward(s, w, batch.tokens, B, T).logits, batch.targets, B * T, s.vocabSize);

/** An Evaluator of fixed weights on the CPU forward: the trainer's evalLoss without its state. */
export const createCpuEvaluator = (spec: ModelSpec, weights: Weights): Evaluator => ({
  spec,
  evalLoss: (batch, B, T) => async () => E.right(cpuEvalLoss(spec, weights, batch, B, T)),
  destroy: () => undefined,
});

/** The CPU Trainer; with a teacher, each step's loss mixes in distillation from it (evaluation stays cross-entropy). */
export const createCpuTrainer = (
  spec: ModelSpec,
  init: OptimizerState | { readonly weights: Weights },
  teacher?: Teacher,
): Trainer => {
  let st = initialState(spec, init), grads: Weights = {};
  const attempt = <A>(f: () => A): TE.TaskEither<AppError, A> => async () => E.right(f()); // lazy: runs when the task does
  return {
    spec,
    step: (batches, B, T, hp) =>
      attempt(() => {
        const r = cpuStep(spec, st, batches, B, T, hp, teacher);
        [st, grads] = [r.state, r.grads];
        return r.result;
      }),
    evalLoss: (batch, B, T) => attempt(() => cpuEvalLoss(spec, st.weights, batch, B, T)),
    state: () => TE.right(st),
    gradients: () => TE.right(grads),
    destroy: () => undefined,
  };
};
