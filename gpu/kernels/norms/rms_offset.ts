/**
 * Gemma's RMSNorm, gain 1 + w (added in f32, as transformers' float32 GemmaRMSNorm), forward and x backward;
 * the plain RMSNorm kernels (gpu/kernels/norms/norms.ts, norms_backward.ts) with w[c] read as 1 + w[c]. The
 * gain's gradient is w's (d(1 + w)/dw = 1), so rmsNormBackwardW serves both. Shapes as there: x, dy, dx,
 * dres, out (N, C), w (C), rstd (N). CPU twins: core/ops/norms/rms_offset.ts.
 * @module
 */
import { rmsNormOffset, rmsNormOffsetBackward } from "../../../core/ops/norms/rms_offset.ts";
import { rmsScale } from "../../../core/ops/norms/norms.ts";
import { rowwise } from "../../engine/elementwise.ts";
import { type DimValues, type Inputs, wide } from "../../engine/twin.ts";
import { NORM_EPS, normRows } from "./norms.ts";
import { twinCases } from "./_norms_twin.ts";

/** |1 + w| as the kernel forms it, in f32. */
const gainOf = (a: Inputs): Float64Array => Float64Array.from(a.f32("w"), (v) => Math.abs(Math.fround(1 + v)));

export const rmsNormOffsetForward = rowwise({
  name: "rms_norm_offset_forward",
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "out", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", eps: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/rms_offset.ts rmsNormOffset",
    dims: normRows,
    uniforms: ({ N, C }) => ({ N, C, eps: NORM_EPS }),
    inputs: {
      x: { _tag: "f32", length: ({ N, C }) => N * C, min: -4, max: 4 },
      w: { _tag: "f32", length: ({ C }) => C },
    },
    outputs: { out: ({ N, C }) => N * C, rstd: ({ N }) => N },
    run: ({ N, C }, a) => ({
      out: rmsNormOffset(wide(a.f32("x")), wide(a.f32("w")), N, C, NORM_EPS),
      rstd: Float64Array.from({ length: N }, (_, n) => rmsScale(wide(a.f32("x")), n * C, C, NORM_EPS)),
    }),
    // the plain kernel's (C + 8) ulps, of |x·rstd|·|1 + w| (the f32 1 + w is within ½ ulp of itself; out can
    // cancel to 0 where w ≈ −1, so the scale is the product's magnitude, not |out|)
    tolerance: {
      out: {
        _tag: "ulps",
        text: "(C + 8) ulps of |x·rstd|·|1 + w|",
        ulps: ({ C }) => C + 8,
        scale: ({ d: { C }, a, want }) => {
          const g = gainOf(a), r = want("rstd"), x = a.f32("x");
          return Float64Array.from(x, (v, i) => Math.abs(v) * r[Math.floor(i / C)]! * g[i % C]!);
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
  for (var c = 0u; c < params.C; c++) { out[o + c] = (1.0 + w[c]) * (x[o + c] * r); }
  rstd[n] = r;`,
});

/** rstd·(|g·dy| + |x|·rstd²·mean|g·dy·x|) + |dres|, g = 1 + w: the plain kernel's scale with its gain. */
const dxScale = ({ d: { N, C, useRes }, a }: { d: DimValues<"N" | "C" | "useRes">; a: Inputs }): Float64Array => {
  const x = a.f32("x"), dy = a.f32("dy"), g = gainOf(a), out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    const o = n * C, r = rmsScale(wide(x), o, C, NORM_EPS);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.abs(g[c]! * dy[o + c]! * x[o + c]!);
    for (let c = 0; c < C; c++) {
      out[o + c] = r * (Math.abs(g[c]! * dy[o + c]!) + Math.abs(x[o + c]!) * r * r * (s / C)) +
        (useRes ? Math.abs(a.f32("dres")[o + c]!) : 0);
    }
  }
  return out;
};

export const rmsNormOffsetBackwardX = rowwise({
  name: "rms_norm_offset_backward_x",
  bindings: [
    { name: "dy", access: "read" },
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "mean", access: "read" },
    { name: "rstd", access: "read" },
    { name: "dres", access: "read" },
    { name: "dx", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", useRes: "u32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/rms_offset.ts rmsNormOffsetBackward",
    ...twinCases.rmsX,
    run: ({ N, C, useRes }, a) => {
      const r = rmsNormOffsetBackward(wide(a.f32("dy")), wide(a.f32("x")), wide(a.f32("w")), N, C, NORM_EPS);
      return { dx: r.dx.map((v, i) => v + (useRes ? a.f32("dres")[i]! : 0)) };
    },
    // the plain kernel's allowance with the gain 1 + w in place of w
    tolerance: {
      dx: {
        _tag: "ulps",
        text: "(C + 8) ulps of rstd·(|(1 + w)·dy| + |x|·rstd²·mean|(1 + w)·dy·x|) + |dres|",
        ulps: ({ C }) => C + 8,
        scale: dxScale,
      },
    },
  },
  body: /* wgsl */ `
  let o = n * params.C;
  let r = rstd[n];
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) { s += (1.0 + w[c]) * dy[o + c] * x[o + c]; }
  let k = r * r * s / f32(params.C);
  for (var c = 0u; c < params.C; c++) {
    var v = r * ((1.0 + w[c]) * dy[o + c] - x[o + c] * k);
    if (params.useRes != 0u) { v += dres[o + c]; }
    dx[o + c] = v;
  }`,
});
