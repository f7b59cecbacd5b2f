/**
 * CPU reference normalisations over the last axis. Shapes: x (N, C), w and b (C) → (N, C).
 * LayerNorm (Ba et al. 2016): (x − mean) / sqrt(var + eps) · w + b, biased variance as PyTorch.
 * RMSNorm (Zhang & Sennrich 2019): x / sqrt(mean(x²) + eps) · w, as llama2.c's rmsnorm.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";

/** Mean and 1/√(var + ε) of row x[o .. o + C), the biased variance as PyTorch; the backward recomputes them with this. */
export const layerNormStats = (
  x: Floats,
  o: number,
  C: number,
  eps: number,
): { readonly mean: number; readonly rstd: number } => {
  let mean = 0;
  for (let c = 0; c < C; c++) mean += x[o + c]!;
  mean /= C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (x[o + c]! - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(v / C + eps) };
};

/** 1/√(mean(x²) + ε) of row x[o .. o + C); the backward recomputes it with this. */
export const rmsScale = (x: Floats, o: number, C: number, eps: number): number => {
  let ss = 0;
  for (let c = 0; c < C; c++) ss += x[o + c]! * x[o + c]!;
  return 1 / Math.sqrt(ss / C + eps);
};

export const layerNorm = <A extends Floats>(x: A, w: A, b: A, N: number, C: number, eps: number): A => {
  const y = alloc(x, N * C);
  for (let n = 0; n < N; n++) {
    const o = n * C, { mean, rstd } = layerNormStats(x, o, C, eps);
    for (let c = 0; c < C; c++) y[o + c] = (x[o + c]! - mean) * rstd * w[c]! + b[c]!;
  }
  return y;
};

export const rmsNorm = <A extends Floats>(x: A, w: A, N: number, C: number, eps: number): A => {
  const y = alloc(x, N * C);
  for (let n = 0; n < N; n++) {
    const o = n * C, scale = rmsScale(x, o, C, eps);
    for (let c = 0; c < C; c++) y[o + c] = w[c]! * (x[o + c]! * scale);
  }
  return y;
};
