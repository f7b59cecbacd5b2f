/**
 * Causal attention backward, as two owner-computes kernels (no atomics), from the forward's saved
 * log-sum-exp: P[t,s] = exp(scale·q_t·k_s − lse_t), dP[t,s] = dout_t·v_s, δ_t = dout_t·out_t.
 *   query kernel, one invocation per (b, h, t):  dq_t = scale·Σ_s P(dP − δ_t)·k_s; it stores δ.
 *   key kernel, one per (b, g, s) for kv head g:  dk_s = scale·Σ_{h ∈ g} Σ_{t ≥ s} P(dP − δ_t)·q_t,
 *                                                dv_s = Σ_{h ∈ g} Σ_{t ≥ s} P·dout_t.
 * Shapes: qkv and dqkv (B·T, W) with q, k, v at columns 0, C, C + KV, C = NH·D; out and dout (B·T, C);
 * lse and delta (B, NH, T). Run the query kernel first (it writes δ). As in the forward, the loops
 * over keys (queries) run to a bound shared by the workgroup and mask with select, and a variant
 * per head dim keeps the per-lane arrays in registers. CPU twin: core/ops/attention_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../kernel.ts";
import { HEAD_DIM_PRELUDE, HEAD_DIM_VARIANTS, MAX_HEAD_DIM, rowLoader } from "./attention.ts";

const PRELUDE = `${HEAD_DIM_PRELUDE}
${rowLoader("qkv_row", "qkv")}
${rowLoader("dout_row", "dout")}`;

const uniforms = { B: "u32", T: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", scale: "f32" } as const;

export const attentionBackwardQ = defineKernel({
  name: "attention_backward_q",
  bindings: [
    { name: "qkv", access: "read" }, { name: "out", access: "read" }, { name: "dout", access: "read" }, { name: "lse", access: "read" },
    { name: "dqkv", access: "read_write" }, { name: "delta", access: "read_write" },
  ],
  uniforms,
  defines: { MAX_D: MAX_HEAD_DIM, DV: 0 },
  variants: HEAD_DIM_VARIANTS,
  workgroupSize: 16,
  grid: ({ B, T, NH }, [wx]) => [ceilDiv(T, wx), NH, B],
  prelude: PRELUDE,
  wgsl: /* wgsl */ `
  // No early return for the padding lanes (they redo the last row and skip the writes): uniform
  // control flow keeps lavapipe's key loads uniform.
  let t = min(gid.x, params.T - 1u);
  let h = wg.y;
  let b = wg.z;
  let D = head_dim(params.D);
  let wgLast = min(wg.x * 16u + 15u, params.T - 1u); // uniform loop bound
  let g = h / (params.NH / params.NKV);
  let kvd = params.NKV * D;
  let row = b * params.T + t;
  let qo = row * params.W + h * D;
  let oo = row * params.C + h * D;
  var dl = 0.0;
  for (var d = 0u; d < D; d++) { dl += dout[oo + d] * out[oo + d]; }
  let li = (b * params.NH + h) * params.T + t;
  let l = lse[li];
  var q = qkv_row(qo, D);
  var dO = dout_row(oo, D);
  var acc: array<vec4<f32>, ACC_N4>;
  for (var s = 0u; s <= wgLast; s++) {
    let sr = (b * params.T + s) * params.W;
    let k = qkv_row(sr + params.C + g * D, D);
    let dp = head_dot(&dO, qkv_row(sr + params.C + kvd + g * D, D), D);
    let sc = head_dot(&q, k, D);
    let ds = select(0.0, exp(sc * params.scale - l) * (dp - dl) * params.scale, s <= t);
    for (var j = 0u; j < (D + 3u) / 4u; j++) { acc[j] += ds * k[j]; }
  }
  if (gid.x >= params.T) { return; }
  for (var d = 0u; d < D; d++) { dqkv[qo + d] = acc[d / 4u][d % 4u]; }
  delta[li] = dl;`,
});

export const attentionBackwardKV = defineKernel({
  name: "attention_backward_kv",
  bindings: [
    { name: "qkv", access: "read" }, { name: "dout", access: "read" }, { name: "lse", access: "read" }, { name: "delta", access: "read" },
    { name: "dqkv", access: "read_write" },
  ],
  uniforms,
  defines: { MAX_D: MAX_HEAD_DIM, DV: 0 },
  variants: HEAD_DIM_VARIANTS,
  workgroupSize: 16,
  grid: ({ B, T, NKV }, [wx]) => [ceilDiv(T, wx), NKV, B],
  prelude: PRELUDE,
  wgsl: /* wgsl */ `
  let s = min(gid.x, params.T - 1u); // padding lanes redo the last key and skip the writes
  let g = wg.y;
  let b = wg.z;
  let D = head_dim(params.D);
  let kvd = params.NKV * D;
  let group = params.NH / params.NKV;
  let sr = (b * params.T + s) * params.W;
  let ko = sr + params.C + g * D;
  let vo = sr + params.C + kvd + g * D;
  let wgFirst = wg.x * 16u; // uniform loop start: the workgroup's first key
  var kk = qkv_row(ko, D);
  var vv = qkv_row(vo, D);
  var dk: array<vec4<f32>, ACC_N4>;
  var dv: array<vec4<f32>, ACC_N4>;
  for (var hh = 0u; hh < group; hh++) {
    let h = g * group + hh;
    for (var t = wgFirst; t < params.T; t++) {
      let row = b * params.T + t;
      let li = (b * params.NH + h) * params.T + t;
      let q = qkv_row(row * params.W + h * D, D);
      let dO = dout_row(row * params.C + h * D, D);
      let sc = head_dot(&kk, q, D);
      let dp = head_dot(&vv, dO, D);
      let p = select(0.0, exp(sc * params.scale - lse[li]), t >= s);
      let ds = select(0.0, p * (dp - delta[li]) * params.scale, t >= s);
      for (var j = 0u; j < (D + 3u) / 4u; j++) { dk[j] += ds * q[j]; dv[j] += p * dO[j]; }
    }
  }
  if (gid.x >= params.T) { return; }
  for (var d = 0u; d < D; d++) { dqkv[ko + d] = dk[d / 4u][d % 4u]; dqkv[vo + d] = dv[d / 4u][d % 4u]; }`,
});
