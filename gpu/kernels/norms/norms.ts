/**
 * Row normalisations, one invocation per row (lavapipe runs a workgroup on one thread, so a
 * per-row loop beats a workgroup reduction there). Sums run in index order: deterministic.
 * LayerNorm: out = (x − mean)·rstd·w + b, rstd = 1/sqrt(var + eps) (biased variance).
 * RMSNorm: out = (g0 + w)·(x·rstd), rstd = 1/sqrt(mean(x²) + eps), g0 a uniform: 0 for RMSNorm (0 + w is w,
 * exactly, so the same bits as a kernel reading w; only a gain of −0 turns +0), 1 for Gemma's gain 1 + w (added in
 * f32, as transformers' float32 GemmaRMSNorm does).
 * Shapes: x (N, C), w and b (C), out (N, C); mean and rstd (N) are kept for the backward pass.
 * CPU twins: core/ops/norms/norms.ts (rms_offset.ts for g0 = 1). Error: sums of C terms in f32, so ≤ ~C ulps of
 * the row's scale.
 * @module
 */
import { layerNorm, layerNormStats, rmsNorm, rmsScale } from "../../../core/ops/norms/norms.ts";
import { rmsNormOffset } from "../../../core/ops/norms/rms_offset.ts";
import { rowwise } from "../../engine/elementwise.ts";
import { abs, type Inputs, wide } from "../../engine/twin.ts";

export const NORM_EPS = 1e-5;

/**
 * The RMSNorm gain as the kernels form it (g0 + w in f32: w itself, or Gemma's 1 + w), in magnitude: what the
 * allowances scale with (an f32 1 + w can round to 0 where the exact one is tiny, so never the exact gain).
 */
export const rmsGain = (w: Float32Array, g0: number): Float64Array =>
  Float64Array.from(w, (v) => Math.abs(Math.fround(g0 + v)));

/** Rows of x (N, C) within ±4, and per-row statistics in float64: mean, rstd, sd = √(var + ε), big = max|x|. */
export const normRows = { N: [1, 9], C: [1, 48] } as const;
export const rowStats = (x: Float32Array, N: number, C: number) =>
  Array.from({ length: N }, (_, n) => {
    const { mean, rstd } = layerNormStats(wide(x), n * C, C, NORM_EPS);
    return { mean, rstd, big: x.subarray(n * C, (n + 1) * C).reduce((m, v) => Math.max(m, Math.abs(v)), 0) };
  });
const stat = (x: Float32Array, N: number, C: number, f: (s: ReturnType<typeof rowStats>[number]) => number) =>
  Float64Array.from(rowStats(x, N, C), f);
const x4 = { _tag: "f32", length: ({ N, C }: { N: number; C: number }) => N * C, min: -4, max: 4 } as const;
const perC = { _tag: "f32", length: ({ C }: { C: number }) => C } as const;

/**
 * |x − μ|·rstd·|w| + |b|, with the row's largest |x| standing in for the error of μ (a sum of the x,
 * so its error scales with them, not with the spread: nearly equal x cancel in x − μ).
 */
const layerNormScale = ({ d: { N, C }, a }: { d: { N: number; C: number }; a: Inputs }) => {
  const x = a.f32("x"), w = a.f32("w"), b = a.f32("b"), st = rowStats(x, N, C);
  return Float64Array.from(x, (v, i) => {
    const s = st[Math.floor(i / C)]!;
    return (Math.abs(v - s.mean) + s.big) * s.rstd * Math.abs(w[i % C]!) + Math.abs(b[i % C]!);
  });
};

export const layerNormForward = rowwise({
  name: "layer_norm_forward",
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "b", access: "read" },
    { name: "out", access: "read_write" },
    { name: "mean", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", eps: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/norms.ts layerNorm, layerNormStats",
    dims: normRows,
    uniforms: ({ N, C }) => ({ N, C, eps: NORM_EPS }),
    inputs: { x: x4, w: perC, b: perC },
    outputs: { out: ({ N, C }) => N * C, mean: ({ N }) => N, rstd: ({ N }) => N },
    run: ({ N, C }, a) => ({
      out: layerNorm(wide(a.f32("x")), wide(a.f32("w")), wide(a.f32("b")), N, C, NORM_EPS),
      mean: stat(a.f32("x"), N, C, (s) => s.mean),
      rstd: stat(a.f32("x"), N, C, (s) => s.rstd),
    }),
    // two sums of C terms (γ_C each), then a few operations: out (2C + 8) ulps of its terms; mean
    // (C + 2) ulps of mean|x|; var's error C·u·(big·sd + var) becomes half that relative in rstd:
    // (2C + 8) ulps of rstd·(1 + big·rstd)
    tolerance: {
      out: {
        _tag: "ulps",
        text: "(2C + 8) ulps of (|x − μ| + max|x|)·rstd·|w| + |b|",
        ulps: ({ C }) => 2 * C + 8,
        scale: layerNormScale,
      },
      mean: {
        _tag: "ulps",
        text: "(C + 2) ulps of mean|x|",
        ulps: ({ C }) => C + 2,
        scale: ({ d: { N, C }, a }) =>
          Float64Array.from(
            { length: N },
            (_, n) => abs(a.f32("x").subarray(n * C, (n + 1) * C)).reduce((s, v) => s + v, 0) / C,
          ),
      },
      rstd: {
        _tag: "ulps",
        text: "(2C + 8) ulps of rstd·(1 + max|x|·rstd)",
        ulps: ({ C }) => 2 * C + 8,
        scale: ({ d: { N, C }, a }) => stat(a.f32("x"), N, C, (s) => s.rstd * (1 + s.big * s.rstd)),
      },
    },
  },
  body: /* wgsl */ `
  let o = n * params.C;
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) { s += x[o + c]; }
  let m = s / f32(params.C);
  var v = 0.0;
  for (var c = 0u; c < params.C; c++) { let d = x[o + c] - m; v += d * d; }
  let r = 1.0 / sqrt(v / f32(params.C) + params.eps);
  for (var c = 0u; c < params.C; c++) { out[o + c] = (x[o + c] - m) * r * w[c] + b[c]; }
  mean[n] = m;
  rstd[n] = r;`,
});

export const rmsNormForward = rowwise({
  name: "rms_norm_forward",
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "out", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", eps: "f32", g0: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/norms.ts rmsNorm, rmsScale; core/ops/norms/rms_offset.ts rmsNormOffset",
    dims: { ...normRows, g0: [0, 1] },
    uniforms: ({ N, C, g0 }) => ({ N, C, eps: NORM_EPS, g0 }),
    inputs: { x: x4, w: perC },
    outputs: { out: ({ N, C }) => N * C, rstd: ({ N }) => N },
    run: ({ N, C, g0 }, a) => ({
      out: (g0 === 1 ? rmsNormOffset : rmsNorm)(wide(a.f32("x")), wide(a.f32("w")), N, C, NORM_EPS),
      rstd: Float64Array.from({ length: N }, (_, n) => rmsScale(wide(a.f32("x")), n * C, C, NORM_EPS)),
    }),
    // a sum of C squares (γ_C, every term ≥ 0), √ and ÷, then two products; of the product's magnitude, since
    // with g0 = 1 out can cancel to 0 where w ≈ −1 (the f32 1 + w is within ½ ulp of itself)
    tolerance: {
      out: {
        _tag: "ulps",
        text: "(C + 8) ulps of |x·rstd|·|g0 + w|",
        ulps: ({ C }) => C + 8,
        scale: ({ d: { C, g0 }, a, want }) => {
          const g = rmsGain(a.f32("w"), g0), r = want("rstd");
          return Float64Array.from(a.f32("x"), (v, i) => Math.abs(v) * r[Math.floor(i / C)]! * g[i % C]!);
        },
      },
      rstd: { _tag: "ulps", text: "(C + 8) ulps of rstd", ulps: ({ C }) => C + 8, scale: ({ want }) => want("rstd") },
    },
  },
  body: /* wgsl */ `
  let o = n * params.C;
  var ss = 0.0;
  for (var c = 0u; c < params.C; c++) { ss += x[o + c] * x[o + c]; }
  let r = 1.0 / sqrt(ss / f32(params.C) + params.eps);
  for (var c = 0u; c < params.C; c++) { out[o + c] = (params.g0 + w[c]) * (x[o + c] * r); }
  rstd[n] = r;`,
});
