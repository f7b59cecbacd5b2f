/**
 * The optimizer's kernels: zeroing gradients, the global gradient norm in a fixed order, and AdamW.
 *   sumsq_partial: partials[p0 + j] = Σ g² over chunk j of a tensor (CHUNK values each, in order)
 *   clip_scale:    one invocation sums every partial in order: stats = [min(1, clip/‖g‖), ‖g‖]
 *                  (scale 1 when clip ≤ 0 or ‖g‖ ≤ clip), so no readback sits inside a step
 *   adamw:         llm.c's AdamW (core/train/trainer.ts), g = grad·stats[0], bias corrections bc1 = 1 − β1^t,
 *                  bc2 = 1 − β2^t from the host; wd = 0 for tensors that do not decay.
 * CPU twin: core/ops/adamw.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const SUMSQ_CHUNK = 256;

export const fillZero = defineKernel({
  name: "fill_zero",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  workgroupSize: 64,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `  if (gid.x < params.n) { out[gid.x] = 0.0; }`,
});

export const sumsqPartial = defineKernel({
  name: "sumsq_partial",
  bindings: [{ name: "g", access: "read" }, { name: "partials", access: "read_write" }],
  uniforms: { n: "u32", p0: "u32" },
  defines: { CHUNK: SUMSQ_CHUNK },
  workgroupSize: 16,
  grid: ({ n }, [wx]) => [ceilDiv(ceilDiv(n, SUMSQ_CHUNK), wx), 1, 1],
  wgsl: /* wgsl */ `
  let j = gid.x;
  let first = j * u32(CHUNK);
  if (first >= params.n) { return; }
  let end = min(first + u32(CHUNK), params.n);
  var s = 0.0;
  for (var i = first; i < end; i++) { s += g[i] * g[i]; }
  partials[params.p0 + j] = s;`,
});

export const clipScale = defineKernel({
  name: "clip_scale",
  bindings: [{ name: "partials", access: "read" }, { name: "stats", access: "read_write" }],
  uniforms: { count: "u32", clip: "f32" },
  workgroupSize: 1,
  grid: () => [1, 1, 1],
  wgsl: /* wgsl */ `
  var s = 0.0;
  for (var i = 0u; i < params.count; i++) { s += partials[i]; }
  let norm = sqrt(s);
  stats[0] = select(1.0, params.clip / norm, params.clip > 0.0 && norm > params.clip);
  stats[1] = norm;`,
});

export const adamw = defineKernel({
  name: "adamw",
  bindings: [
    { name: "param", access: "read_write" }, { name: "grad", access: "read" }, { name: "m", access: "read_write" },
    { name: "v", access: "read_write" }, { name: "stats", access: "read" },
  ],
  uniforms: { n: "u32", lr: "f32", beta1: "f32", beta2: "f32", eps: "f32", wd: "f32", bc1: "f32", bc2: "f32" },
  workgroupSize: 64,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.n) { return; }
  let g = grad[i] * stats[0];
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let mh = mi / params.bc1;
  let vh = vi / params.bc2;
  param[i] = param[i] - params.lr * (mh / (sqrt(vh) + params.eps) + params.wd * param[i]);`,
});
