/**
 * The norm backward kernels' cases (gpu/kernels/norms/norms_backward.ts), twin calls and allowances:
 * the saved statistics come from the forward's twin (core/ops/norms/norms.ts) rounded to f32, as the
 * forward kernel keeps them; the gradients from core/ops/norms/norms_backward.ts, plus dres (x kernels)
 * or the gradient already accumulated (w kernels). Shapes: x, dy, dres, dx (N, C), w (C).
 * @module
 */
import { layerNormBackward, rmsNormBackward } from "../../../core/ops/norms/norms_backward.ts";
import { layerNormStats, rmsScale } from "../../../core/ops/norms/norms.ts";
import { offsetGain } from "../../../core/ops/norms/rms_offset.ts";
import { abs, type DimValues, type Inputs, wide } from "../../engine/twin.ts";
import { NORM_EPS, rmsGain, rowStats } from "./norms.ts";

type Dims = DimValues<"N" | "C">;
const rows = ({ N, C }: Dims) => N * C;
const stats = (f: (x: Float64Array, o: number, C: number) => number) => ({ N, C }: Dims, a: Inputs) =>
  Float32Array.from({ length: N }, (_, n) => f(wide(a.f32("x")), n * C, C));
const saved = {
  mean: { _tag: "derived", make: stats((x, o, C) => layerNormStats(x, o, C, NORM_EPS).mean) },
  rstd: { _tag: "derived", make: stats((x, o, C) => layerNormStats(x, o, C, NORM_EPS).rstd) },
} as const;
const rmsSaved = {
  mean: { _tag: "f32", length: ({ N }: Dims) => N }, // bound, unused by RMSNorm
  rstd: { _tag: "derived", make: stats((x, o, C) => rmsScale(x, o, C, NORM_EPS)) },
} as const;
const x4 = { _tag: "f32", length: rows, min: -4, max: 4 } as const;

const xCase = (s: typeof saved | typeof rmsSaved) =>
  ({
    dims: { N: [1, 9], C: [1, 32], useRes: [0, 1] },
    uniforms: ({ N, C, useRes }: DimValues<"N" | "C" | "useRes">) => ({ N, C, useRes }),
    inputs: {
      dy: { _tag: "f32", length: rows },
      x: x4,
      w: { _tag: "f32", length: ({ C }: Dims) => C },
      dres: { _tag: "f32", length: rows },
      ...s,
    },
    outputs: { dx: rows },
  }) as const;

const wCase = (s: typeof saved | typeof rmsSaved) =>
  ({
    dims: { N: [1, 12], C: [1, 32] },
    uniforms: ({ N, C }: Dims) => ({ N, C }),
    inputs: {
      dy: { _tag: "f32", length: rows },
      x: x4,
      dw: { _tag: "f32", length: ({ C }: Dims) => C },
      db: { _tag: "f32", length: ({ C }: Dims) => C },
      ...s,
    },
  }) as const;

/** RMSNorm's x kernel also takes the gain's offset g0 (0, or Gemma's 1: gain 1 + w). */
const rmsXCase = {
  ...xCase(rmsSaved),
  dims: { N: [1, 9], C: [1, 32], useRes: [0, 1], g0: [0, 1] },
  uniforms: ({ N, C, useRes, g0 }: DimValues<"N" | "C" | "useRes" | "g0">) => ({ N, C, useRes, g0 }),
} as const;

export const twinCases = {
  lnX: xCase(saved),
  rmsX: rmsXCase,
  lnW: { ...wCase(saved), outputs: { dw: ({ C }: Dims) => C, db: ({ C }: Dims) => C } },
  rmsW: { ...wCase(rmsSaved), outputs: { dw: ({ C }: Dims) => C } },
} as const;

/** The gradients the kernel leaves: dx (+ dres when useRes), dw and db added to what was there. */
const finish = (
  d: Dims & { useRes?: number },
  a: Inputs,
  g: { dx: Float64Array; dw: Float64Array; db?: Float64Array },
) => ({
  dx: g.dx.map((v, i) => v + (d.useRes ? a.f32("dres")[i]! : 0)),
  dw: a.has("dw") ? g.dw.map((v, i) => v + a.f32("dw")[i]!) : g.dw,
  db: a.has("db") && g.db !== undefined ? g.db.map((v, i) => v + a.f32("db")[i]!) : g.db,
});
// the w kernels have no w, and the gains' gradients do not depend on it; g0 = 1: Gemma's gain 1 + w
const weights = (d: Dims & { g0?: number }, a: Inputs) =>
  !a.has("w") ? new Float64Array(d.C).fill(1) : d.g0 === 1 ? offsetGain(wide(a.f32("w"))) : wide(a.f32("w"));

export const layerNormGrads = (d: Dims & { useRes?: number }, a: Inputs) =>
  finish(d, a, layerNormBackward(wide(a.f32("dy")), wide(a.f32("x")), weights(d, a), d.N, d.C, NORM_EPS));
export const rmsNormGrads = (d: Dims & { useRes?: number; g0?: number }, a: Inputs) =>
  finish(d, a, rmsNormBackward(wide(a.f32("dy")), wide(a.f32("x")), weights(d, a), d.N, d.C, NORM_EPS));

type Case = { readonly d: Dims & { readonly useRes?: number; readonly g0?: number }; readonly a: Inputs };
const at = (a: Inputs, name: string) => a.f32(name);

/** rstd·(|g| + mean|g| + (|x̂| + big·rstd)·mean(|g|(|x̂| + big·rstd))) + |dres|, g = dy·w, big = max|x| of the row. */
export const lnDxScale = ({ d: { N, C, useRes }, a }: Case): Float64Array => {
  const x = at(a, "x"), dy = at(a, "dy"), w = at(a, "w"), st = rowStats(x, N, C), out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    const { mean, rstd: r, big } = st[n]!, o = n * C, xh = (c: number) => Math.abs(x[o + c]! - mean) * r + big * r;
    let g1 = 0, g2 = 0;
    for (let c = 0; c < C; c++) (g1 += Math.abs(dy[o + c]! * w[c]!)), (g2 += Math.abs(dy[o + c]! * w[c]!) * xh(c));
    for (let c = 0; c < C; c++) {
      out[o + c] = r * (Math.abs(dy[o + c]! * w[c]!) + g1 / C + xh(c) * (g2 / C)) +
        (useRes ? Math.abs(at(a, "dres")[o + c]!) : 0);
    }
  }
  return out;
};

/** |dw| + Σ_n |dy|·(|x̂| + big·rstd), or |db| + Σ_n |dy|. */
export const lnDwScale = ({ d: { N, C }, a }: Case, which: "dw" | "db" = "dw"): Float64Array => {
  const x = at(a, "x"), dy = at(a, "dy"), st = rowStats(x, N, C), out = abs(at(a, which));
  for (let n = 0; n < N; n++) {
    const { mean, rstd: r, big } = st[n]!;
    for (let c = 0; c < C; c++) {
      out[c]! += Math.abs(dy[n * C + c]!) * (which === "db" ? 1 : Math.abs(x[n * C + c]! - mean) * r + big * r);
    }
  }
  return out;
};

/** rstd·(|g·dy| + |x|·rstd²·mean|g·dy·x|) + |dres|, g the gain g0 + w in f32. */
export const rmsDxScale = ({ d: { N, C, useRes, g0 }, a }: Case): Float64Array => {
  const x = at(a, "x"), dy = at(a, "dy"), w = rmsGain(at(a, "w"), g0 ?? 0), out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    const o = n * C, r = rmsScale(wide(x), o, C, NORM_EPS);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.abs(w[c]! * dy[o + c]! * x[o + c]!);
    for (let c = 0; c < C; c++) {
      out[o + c] = r * (Math.abs(w[c]! * dy[o + c]!) + Math.abs(x[o + c]!) * r * r * (s / C)) +
        (useRes ? Math.abs(at(a, "dres")[o + c]!) : 0);
    }
  }
  return out;
};

/** |dw| + Σ_n |dy·x|·rstd. */
export const rmsDwScale = ({ d: { N, C }, a }: Case): Float64Array => {
  const x = at(a, "x"), dy = at(a, "dy"), out = abs(at(a, "dw"));
  for (let n = 0; n < N; n++) {
    const r = rmsScale(wide(x), n * C, C, NORM_EPS);
    for (let c = 0; c < C; c++) out[c]! += Math.abs(dy[n * C + c]! * x[n * C + c]!) * r;
  }
  return out;
};
