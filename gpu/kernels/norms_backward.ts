/**
 * Norm backward passes, split so no two invocations write one element (no atomics):
 * the x gradient one invocation per row, the gain/bias gradients one invocation per column.
 * LayerNorm, x̂ = (x − mean)·rstd, ĝ = dy·w:  dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (+ dres)
 *   dw[c] += Σ_n dy·x̂, db[c] += Σ_n dy.
 * RMSNorm, y = w·x·r, r = rstd:  dx = r·(w·dy − x·r²·mean(w·dy·x)) (+ dres);  dw[c] += Σ_n dy·x·r.
 * mean and rstd are the forward's saved row statistics. Shapes: x, dy, dx, dres (N, C).
 * CPU twins: core/ops/norms_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

const rowBindings = [
  { name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "w", access: "read" },
  { name: "mean", access: "read" }, { name: "rstd", access: "read" }, { name: "dres", access: "read" }, { name: "dx", access: "read_write" },
] as const;

export const layerNormBackwardX = defineKernel({
  name: "layer_norm_backward_x",
  bindings: rowBindings,
  uniforms: { N: "u32", C: "u32", useRes: "u32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
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

export const layerNormBackwardW = defineKernel({
  name: "layer_norm_backward_w",
  bindings: [
    { name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "mean", access: "read" }, { name: "rstd", access: "read" },
    { name: "dw", access: "read_write" }, { name: "db", access: "read_write" },
  ],
  uniforms: { N: "u32", C: "u32" },
  workgroupSize: 64,
  grid: ({ C }, [wx]) => [ceilDiv(C, wx), 1, 1],
  wgsl: /* wgsl */ `
  let c = gid.x;
  if (c >= params.C) { return; }
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

export const rmsNormBackwardX = defineKernel({
  name: "rms_norm_backward_x",
  bindings: rowBindings,
  uniforms: { N: "u32", C: "u32", useRes: "u32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
  let o = n * params.C;
  let r = rstd[n];
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) { s += w[c] * dy[o + c] * x[o + c]; }
  let k = r * r * s / f32(params.C);
  for (var c = 0u; c < params.C; c++) {
    var v = r * (w[c] * dy[o + c] - x[o + c] * k);
    if (params.useRes != 0u) { v += dres[o + c]; }
    dx[o + c] = v;
  }`,
});

export const rmsNormBackwardW = defineKernel({
  name: "rms_norm_backward_w",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "rstd", access: "read" }, { name: "dw", access: "read_write" }],
  uniforms: { N: "u32", C: "u32" },
  workgroupSize: 64,
  grid: ({ C }, [wx]) => [ceilDiv(C, wx), 1, 1],
  wgsl: /* wgsl */ `
  let c = gid.x;
  if (c >= params.C) { return; }
  var s = 0.0;
  for (var n = 0u; n < params.N; n++) { s += dy[n * params.C + c] * x[n * params.C + c] * rstd[n]; }
  dw[c] = dw[c] + s;`,
});
