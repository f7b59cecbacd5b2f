/**
 * Qwen3's q/k norm as the device lays it out: RMSNorm (core/ops/norms/norms.ts) of each of heads h0 .. h0+H−1
 * of every row of a (N, W) matrix, head h at columns h·D .. h·D + D − 1, all heads sharing one gain w (D).
 * On the CPU model q is (N, H·D), i.e. (N·H, D) rows, and core/model/rotary_features.ts calls rmsNorm
 * directly; these gather the heads of a fused q | k | v row into such rows and scatter the result back, as
 * the twins of gpu/kernels/norms/head_norm.ts. Backward: the gain's gradient sums over rows and heads.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";
import { rmsNorm } from "./norms.ts";
import { rmsNormBackward } from "./norms_backward.ts";

/** Where the heads are: rows N of width W, heads h0 .. h0+H−1 of width D. */
export interface HeadRows {
  readonly N: number;
  readonly W: number;
  readonly D: number;
  readonly h0: number;
  readonly H: number;
}

const gather = <A extends Floats>(x: A, r: HeadRows): A => {
  const y = alloc(x, r.N * r.H * r.D);
  for (let n = 0; n < r.N; n++) {
    for (let h = 0; h < r.H; h++) {
      const o = n * r.W + (r.h0 + h) * r.D;
      y.set(x.subarray(o, o + r.D), (n * r.H + h) * r.D);
    }
  }
  return y;
};

/** x with the heads' values replaced by those of y (N·H, D). */
const scatter = <A extends Floats>(x: A, y: A, r: HeadRows): A => {
  const out = alloc(x, x.length);
  out.set(x);
  for (let n = 0; n < r.N; n++) {
    for (let h = 0; h < r.H; h++) {
      const o = (n * r.H + h) * r.D;
      out.set(y.subarray(o, o + r.D), n * r.W + (r.h0 + h) * r.D);
    }
  }
  return out;
};

/** The (N, W) matrix with each listed head RMS-normalised with gain w (D); other columns as they were. */
export const headRmsNorm = <A extends Floats>(x: A, w: A, r: HeadRows, eps: number): A =>
  scatter(x, rmsNorm(gather(x, r), w, r.N * r.H, r.D, eps), r);

/** dy (N, W) at the output and the input x → dx (dy with the heads' gradients in place), and dw (D). */
export const headRmsNormBackward = <A extends Floats>(dy: A, x: A, w: A, r: HeadRows, eps: number) => {
  const g = rmsNormBackward(gather(dy, r), gather(x, r), w, r.N * r.H, r.D, eps);
  return { dx: scatter(dy, g.dx, r), dw: g.dw };
};
