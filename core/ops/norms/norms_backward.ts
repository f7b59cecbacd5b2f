/**
 * CPU reference backward of the normalisations in core/ops/norms/norms.ts, written from the math.
 * Shapes: dy and x (N, C), w (C) → dx (N, C), dw and db (C). The statistics are recomputed from x
 * exactly as the forward computes them. Sums in float64, rounded once to the array type of dy.
 * LayerNorm, x̂ = (x − μ)·r, r = 1/√(var + ε): dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w.
 * RMSNorm, r = 1/√(mean(x²) + ε): dx = r·g − x·r³·mean(g·x) with g = dy·w.
 * @module
 */
import { layerNormStats, rmsScale } from "./norms.ts";
import { type Floats, fromSums } from "../../model/floats.ts";

export interface NormGrads<A extends Floats> {
  readonly dx: A; // (N, C)
  readonly dw: A; // (C)
}

export const layerNormBackward = <A extends Floats>(
  dy: A,
  x: A,
  w: A,
  N: number,
  C: number,
  eps: number,
): NormGrads<A> & { readonly db: A } => {
  const dx = new Float64Array(N * C), dw = new Float64Array(C), db = new Float64Array(C), xhat = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const o = n * C, { mean, rstd } = layerNormStats(x, o, C, eps);
    let gMean = 0, gxMean = 0;
    for (let c = 0; c < C; c++) {
      xhat[c] = (x[o + c]! - mean) * rstd;
      const g = dy[o + c]! * w[c]!;
      gMean += g;
      gxMean += g * xhat[c]!;
      dw[c]! += dy[o + c]! * xhat[c]!;
      db[c]! += dy[o + c]!;
    }
    gMean /= C;
    gxMean /= C;
    for (let c = 0; c < C; c++) dx[o + c] = rstd * (dy[o + c]! * w[c]! - gMean - xhat[c]! * gxMean);
  }
  return { dx: fromSums(dy, dx), dw: fromSums(dy, dw), db: fromSums(dy, db) };
};

export const rmsNormBackward = <A extends Floats>(
  dy: A,
  x: A,
  w: A,
  N: number,
  C: number,
  eps: number,
): NormGrads<A> => {
  const dx = new Float64Array(N * C), dw = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const o = n * C, r = rmsScale(x, o, C, eps);
    let gxMean = 0;
    for (let c = 0; c < C; c++) {
      gxMean += dy[o + c]! * w[c]! * x[o + c]!;
      dw[c]! += dy[o + c]! * (x[o + c]! * r);
    }
    gxMean /= C;
    for (let c = 0; c < C; c++) dx[o + c] = r * dy[o + c]! * w[c]! - x[o + c]! * r * r * r * gxMean;
  }
  return { dx: fromSums(dy, dx), dw: fromSums(dy, dw) };
};
