/**
 * Norm backward passes, split so no two invocations write one element (no atomics):
 * the x gradient one invocation per row, the gain/bias gradients one invocation per column.
 * LayerNorm, x̂ = (x − mean)·rstd, ĝ = dy·w:  dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (+ dres)
 *   dw[c] += Σ_n dy·x̂, db[c] += Σ_n dy.
 * RMSNorm, y = g·x·r, r = rstd, g = g0 + w (g0 a uniform: 0, or Gemma's 1; see norms.ts):
 *   dx = r·(g·dy − x·r²·mean(g·dy·x)) (+ dres);  dw[c] += Σ_n dy·x·r (dg/dw = 1 for either g0).
 * mean and rstd are the forward's saved row statistics. Shapes: x, dy, dx, dres (N, C).
 * CPU twins: core/ops/norms/norms_backward.ts (cases and allowances: gpu/kernels/norms/_norms_twin.ts).
 * @module
 */
import { rowwise } from "../../engine/elementwise.ts";
import {
  layerNormGrads,
  lnDwScale,
  lnDxScale,
  rmsDwScale,
  rmsDxScale,
  rmsNormGrads,
  twinCases,
} from "./_norms_twin.ts";

const rowBindings = [
  { name: "dy", access: "read" },
  { name: "x", access: "read" },
  { name: "w", access: "read" },
  { name: "mean", access: "read" },
  { name: "rstd", access: "read" },
  { name: "dres", access: "read" },
  { name: "dx", access: "read_write" },
] as const;

export const layerNormBackwardX = rowwise({
  name: "layer_norm_backward_x",
  bindings: rowBindings,
  uniforms: { N: "u32", C: "u32", useRes: "u32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/norms_backward.ts layerNormBackward",
    ...twinCases.lnX,
    run: (d, a) => ({ dx: layerNormGrads(d, a).dx }),
    // two sums of C terms, then x̂ from the saved f32 mean and rstd (the mean's error is the row's
    // largest |x|·u, so x̂'s is big·rstd·u), and a cancellation: (2C + 16) ulps of the terms
    tolerance: {
      dx: {
        _tag: "ulps",
        text: "(2C + 16) ulps of rstd·(|g| + mean|g| + (|x̂| + max|x|·rstd)·mean(|g|(|x̂| + max|x|·rstd))) + |dres|",
        ulps: ({ C }) => 2 * C + 16,
        scale: lnDxScale,
      },
    },
  },
  body: /* wgsl */ `
  let o = n * params.C;
  let m = mean[n];
  let r = rstd[n];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0u; c < params.C; c++) {
    let g = dy[o + c] * w[c];
    sg += g;
    sgx += g * (x[o + c] - m) * r;
  }
  let mg = sg / f32(params.C);
  let mgx = sgx / f32(params.C);
  for (var c = 0u; c < params.C; c++) {
    var v = r * (dy[o + c] * w[c] - mg - (x[o + c] - m) * r * mgx);
    if (params.useRes != 0u) { v += dres[o + c]; }
    dx[o + c] = v;
  }`,
});

export const layerNormBackwardW = rowwise({
  name: "layer_norm_backward_w",
  bindings: [
    { name: "dy", access: "read" },
    { name: "x", access: "read" },
    { name: "mean", access: "read" },
    { name: "rstd", access: "read" },
    { name: "dw", access: "read_write" },
    { name: "db", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32" },
  index: "c",
  count: ["params.C", ({ C }) => C],
  twin: {
    of: "core/ops/norms/norms_backward.ts layerNormBackward",
    ...twinCases.lnW,
    run: (d, a) => {
      const g = layerNormGrads(d, a);
      return { dw: g.dw, db: g.db! };
    },
    // the column's value and N terms added in order (γ_(N+1)); x̂ as in the x kernel
    tolerance: {
      dw: {
        _tag: "ulps",
        text: "(N + 4) ulps of |dw| + Σ|dy|(|x̂| + max|x|·rstd)",
        ulps: ({ N }) => N + 4,
        scale: lnDwScale,
      },
      db: {
        _tag: "ulps",
        text: "(N + 2) ulps of |db| + Σ|dy|",
        ulps: ({ N }) => N + 2,
        scale: (c) => lnDwScale(c, "db"),
      },
    },
  },
  body: /* wgsl */ `
  var sw = 0.0;
  var sb = 0.0;
  for (var n = 0u; n < params.N; n++) {
    let g = dy[n * params.C + c];
    sw += g * (x[n * params.C + c] - mean[n]) * rstd[n];
    sb += g;
  }
  dw[c] = dw[c] + sw;
  db[c] = db[c] + sb;`,
});

export const rmsNormBackwardX = rowwise({
  name: "rms_norm_backward_x",
  bindings: rowBindings,
  uniforms: { N: "u32", C: "u32", useRes: "u32", g0: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/norms/norms_backward.ts rmsNormBackward; core/ops/norms/rms_offset.ts rmsNormOffsetBackward",
    ...twinCases.rmsX,
    run: (d, a) => ({ dx: rmsNormGrads(d, a).dx }),
    // a sum of C terms (γ_C) and a cancellation of its two terms: (C + 8) ulps of their magnitudes
    tolerance: {
      dx: {
        _tag: "ulps",
        text: "(C + 8) ulps of rstd·(|g·dy| + |x|·rstd²·mean|g·dy·x|) + |dres|, g = g0 + w",
        ulps: ({ C }) => C + 8,
        scale: rmsDxScale,
      },
    },
  },
  body: /* wgsl */ `
  let o = n * params.C;
  let r = rstd[n];
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) { s += (params.g0 + w[c]) * dy[o + c] * x[o + c]; }
  let k = r * r * s / f32(params.C);
  for (var c = 0u; c < params.C; c++) {
    var v = r * ((params.g0 + w[c]) * dy[o + c] - x[o + c] * k);
    if (params.useRes != 0u) { v += dres[o + c]; }
    dx[o + c] = v;
  }`,
});

export const rmsNormBackwardW = rowwise({
  name: "rms_norm_backward_w",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "rstd", access: "read" }, {
    name: "dw",
    access: "read_write",
  }],
  uniforms: { N: "u32", C: "u32" },
  index: "c",
  count: ["params.C", ({ C }) => C],
  twin: {
    of: "core/ops/norms/norms_backward.ts rmsNormBackward",
    ...twinCases.rmsW,
    run: (d, a) => ({ dw: rmsNormGrads(d, a).dw }),
    // the column's value and N products added in order: γ_(N+1), and two products each
    tolerance: {
      dw: { _tag: "ulps", text: "(N + 4) ulps of |dw| + Σ|dy·x·rstd|", ulps: ({ N }) => N + 4, scale: rmsDwScale },
    },
  },
  body: /* wgsl */ `
  var s = 0.0;
  for (var n = 0u; n < params.N; n++) { s += dy[n * params.C + c] * x[n * params.C + c] * rstd[n]; }
  dw[c] = dw[c] + s;`,
});
