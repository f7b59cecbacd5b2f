/**
 * Row normalisations, one invocation per row (lavapipe runs a workgroup on one thread, so a
 * per-row loop beats a workgroup reduction there). Sums run in index order: deterministic.
 * LayerNorm: out = (x − mean)·rstd·w + b, rstd = 1/sqrt(var + eps) (biased variance).
 * RMSNorm: out = w·(x·rstd), rstd = 1/sqrt(mean(x²) + eps).
 * Shapes: x (N, C), w and b (C), out (N, C); mean and rstd (N) are kept for the backward pass.
 * CPU twins: core/ops/norms.ts. Error: sums of C terms in f32, so ≤ ~C ulps of the row's scale.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const layerNormForward = defineKernel({
  name: "layer_norm_forward",
  bindings: [
    { name: "x", access: "read" }, { name: "w", access: "read" }, { name: "b", access: "read" },
    { name: "out", access: "read_write" }, { name: "mean", access: "read_write" }, { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", eps: "f32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
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

export const rmsNormForward = defineKernel({
  name: "rms_norm_forward",
  bindings: [
    { name: "x", access: "read" }, { name: "w", access: "read" },
    { name: "out", access: "read_write" }, { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32", eps: "f32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
  let o = n * params.C;
  var ss = 0.0;
  for (var c = 0u; c < params.C; c++) { ss += x[o + c] * x[o + c]; }
  let r = 1.0 / sqrt(ss / f32(params.C) + params.eps);
  for (var c = 0u; c < params.C; c++) { out[o + c] = w[c] * (x[o + c] * r); }
  rstd[n] = r;`,
});
