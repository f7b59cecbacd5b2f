/**
 * The CPU AdamW step, global gradient norm and clip scale: the twin the GPU AdamW kernel is tested
 * against. Formula as core/train/trainer.ts states it (llm.c's train_gpt2.c `gpt2_update`; Loshchilov &
 * Hutter 2019, decoupled decay). Every value is computed in float64 and rounded once per output
 * element to the array type of param (f32 for models: the correctly rounded value of the formula).
 * The norm comes in two steps as the GPU takes it: the sum of squares of each chunk of a tensor
 * (sumsqChunks), then the clip statistics from all the chunks' sums (clipStats).
 * @module
 */
import type { Hyper } from "../train/trainer.ts";
import type { Weights } from "../model/tensors.ts";
import { alloc, type Floats } from "../model/floats.ts";

export interface AdamwResult<A extends Floats = Float32Array> {
  readonly param: A;
  readonly m: A;
  readonly v: A;
}

/**
 * One AdamW update of one tensor; `t` is the step count after this step (1 on the first update).
 * `gradScale` is the clip scale (clipScale), applied to the gradient before the moments.
 * New arrays are returned; the inputs are not touched.
 */
export const adamwStep = <A extends Floats>(
  param: A,
  grad: Floats,
  m: Floats,
  v: Floats,
  t: number,
  hp: Hyper,
  decay: boolean,
  gradScale = 1,
): AdamwResult<A> => {
  const n = param.length;
  if (grad.length !== n || m.length !== n || v.length !== n) {
    throw new Error(`Cannot take an AdamW step: lengths ${n}, ${grad.length}, ${m.length}, ${v.length} differ`);
  }
  const out = { param: alloc(param, n), m: alloc(param, n), v: alloc(param, n) };
  const c1 = 1 - hp.beta1 ** t, c2 = 1 - hp.beta2 ** t, wd = decay ? hp.weightDecay : 0;
  for (let i = 0; i < n; i++) {
    const g = grad[i]! * gradScale, p = param[i]!;
    const mi = hp.beta1 * m[i]! + (1 - hp.beta1) * g;
    const vi = hp.beta2 * v[i]! + (1 - hp.beta2) * g * g;
    out.m[i] = mi;
    out.v[i] = vi;
    out.param[i] = p - hp.lr * ((mi / c1) / (Math.sqrt(vi / c2) + hp.eps) + wd * p);
  }
  return out;
};

/** ‖g‖₂ over every tensor together, summed in float64 in the order of the record's keys. */
export const globalNorm = (grads: Weights): number => {
  let sum = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
};

/** The factor gradients are scaled by: min(1, clip/‖g‖); 1 when clipping is off (clip ≤ 0) or not needed. */
export const clipScale = (norm: number, clip: number): number => (clip <= 0 || !(norm > clip) ? 1 : clip / norm);

/** Zeroed gradients before a step: n zeros. */
export const zeros = (n: number): Float32Array => new Float32Array(n);

/** Σ g² over each chunk of `chunk` consecutive values (the last may be shorter), in float64, rounded once. */
export const sumsqChunks = (g: Float32Array, chunk: number): Float32Array =>
  Float32Array.from({ length: Math.ceil(g.length / chunk) }, (_, j) => {
    let s = 0;
    for (let i = j * chunk; i < Math.min((j + 1) * chunk, g.length); i++) s += g[i]! * g[i]!;
    return s;
  });

/** [clip scale, ‖g‖] from the chunks' sums of squares: ‖g‖ = √Σ partials. */
export const clipStats = (partials: ArrayLike<number>, clip: number): Float32Array => {
  let s = 0;
  for (let i = 0; i < partials.length; i++) s += partials[i]!;
  const norm = Math.sqrt(s);
  return Float32Array.of(clipScale(norm, clip), norm);
};
