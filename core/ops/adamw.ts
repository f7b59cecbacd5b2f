/**
 * The CPU AdamW step, global gradient norm and clip scale: the twin the GPU AdamW kernel is tested
 * against. Formula as core/train/trainer.ts states it (llm.c's train_gpt2.c `gpt2_update`; Loshchilov &
 * Hutter 2019, decoupled decay). Inputs are f32; every value is computed in float64 and rounded to
 * f32 once per output element, so the result is the correctly rounded value of the formula.
 * @module
 */
import type { Hyper } from "../train/trainer.ts";
import type { Weights } from "../model/tensors.ts";

export interface AdamwResult {
  readonly param: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * One AdamW update of one tensor; `t` is the step count after this step (1 on the first update).
 * `gradScale` is the clip scale (clipScale), applied to the gradient before the moments.
 * New arrays are returned; the inputs are not touched.
 */
export const adamwStep = (
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
  t: number, hp: Hyper, decay: boolean, gradScale = 1,
): AdamwResult => {
  const n = param.length;
  if (grad.length !== n || m.length !== n || v.length !== n) throw new Error(`Cannot take an AdamW step: lengths ${n}, ${grad.length}, ${m.length}, ${v.length} differ`);
  const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
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
