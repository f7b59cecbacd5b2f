/**
 * Gemma's RMSNorm, x / sqrt(mean(x²) + eps) · (1 + w), and its backward: RMSNorm (core/ops/norms/norms.ts) with
 * the gain 1 + w, rounded once to the array type (transformers' GemmaRMSNorm adds the 1 in float32). The
 * gradient of w is the gain's, d(1 + w)/dw = 1. Shapes: x, dy (N, C), w (C). Twins of gpu/kernels/norms/norms.ts and
 * norms_backward.ts with g0 = 1.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";
import { rmsNorm } from "./norms.ts";
import { type NormGrads, rmsNormBackward } from "./norms_backward.ts";

/** 1 + w, each value rounded once to w's type. */
export const offsetGain = <A extends Floats>(w: A): A => {
  const g = alloc(w, w.length);
  for (let c = 0; c < w.length; c++) g[c] = 1 + w[c]!;
  return g;
};

export const rmsNormOffset = <A extends Floats>(x: A, w: A, N: number, C: number, eps: number): A =>
  rmsNorm(x, offsetGain(w), N, C, eps);

export const rmsNormOffsetBackward = <A extends Floats>(
  dy: A,
  x: A,
  w: A,
  N: number,
  C: number,
  eps: number,
): NormGrads<A> => rmsNormBackward(dy, x, offsetGain(w), N, C, eps);
