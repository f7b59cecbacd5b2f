/**
 * Causal attention backward, as two owner-computes kernels (no atomics), from the forward's saved
 * log-sum-exp: P[t,s] = exp(scale·q_t·k_s − lse_t), dP[t,s] = dout_t·v_s, δ_t = dout_t·out_t.
 *   query kernel, one invocation per (b, h, t):  dq_t = scale·Σ_s P(dP − δ_t)·k_s; it stores δ.
 *   key kernel, one per (b, g, s) for kv head g:  dk_s = scale·Σ_{h ∈ g} Σ_{t ≥ s} P(dP − δ_t)·q_t,
 *                                                dv_s = Σ_{h ∈ g} Σ_{t ≥ s} P·dout_t.
 * Shapes: qkv and dqkv (B·T, W) with q, k, v at columns 0, C, C + KV; out and dout (B·T, C);
 * lse and delta (B, NH, T). Run the query kernel first (it writes δ). CPU twin:
 * core/ops/attention_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../kernel.ts";
import { MAX_HEAD_DIM } from "./attention.ts";

const uniforms = { B: "u32", T: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", scale: "f32" } as const;

export const attentionBackwardQ = defineKernel({
  name: "attention_backward_q",
  bindings: [
    { name: "qkv", access: "read" }, { name: "out", access: "read" }, { name: "dout", access: "read" }, { name: "lse", access: "read" },
    { name: "dqkv", access: "read_write" }, { name: "delta", access: "read_write" },
  ],
  uniforms,
  defines: { MAX_D: MAX_HEAD_DIM },
  workgroupSize: 16,
  grid: ({ B, T, NH }, [wx]) => [ceilDiv(T, wx), NH, B],
  wgsl: /* wgsl */ `
  let t = gid.x;
  let h = wg.y;
  let b = wg.z;
  if (t >= params.T) { return; }
  let D = params.D;
  let g = h / (params.NH / params.NKV);
  let kvd = params.NKV * D;
  let row = b * params.T + t;
  let qo = row * params.W + h * D;
  let oo = row * params.C + h * D;
  var dl = 0.0;
  for (var d = 0u; d < D; d++) { dl += dout[oo + d] * out[oo + d]; }
  let li = (b * params.NH + h) * params.T + t;
  let l = lse[li];
  var acc: array<f32, MAX_D>;
  for (var d = 0u; d < D; d++) { acc[d] = 0.0; }
  for (var s = 0u; s <= t; s++) {
    let sr = (b * params.T + s) * params.W;
    let ko = sr + params.C + g * D;
    let vo = sr + params.C + kvd + g * D;
    var sc = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d++) { sc += qkv[qo + d] * qkv[ko + d]; dp += dout[oo + d] * qkv[vo + d]; }
    let ds = exp(sc * params.scale - l) * (dp - dl) * params.scale;
    for (var d = 0u; d < D; d++) { acc[d] += ds * qkv[ko + d]; }
  }
  for (var d = 0u; d < D; d++) { dqkv[qo + d] = acc[d]; }
  delta[li] = dl;`,
});

export const attentionBackwardKV = defineKernel({
  name: "attention_backward_kv",
  bindings: [
    { name: "qkv", access: "read" }, { name: "dout", access: "read" }, { name: "lse", access: "read" }, { name: "delta", access: "read" },
    { name: "dqkv", access: "read_write" },
  ],
  uniforms,
  defines: { MAX_D: MAX_HEAD_DIM },
  workgroupSize: 16,
  grid: ({ B, T, NKV }, [wx]) => [ceilDiv(T, wx), NKV, B],
  wgsl: /* wgsl */ `
  let s = gid.x;
  let g = wg.y;
  let b = wg.z;
  if (s >= params.T) { return; }
  let D = params.D;
  let kvd = params.NKV * D;
  let group = params.NH / params.NKV;
  let sr = (b * params.T + s) * params.W;
  let ko = sr + params.C + g * D;
  let vo = sr + params.C + kvd + g * D;
  var dk: array<f32, MAX_D>;
  var dv: array<f32, MAX_D>;
  for (var d = 0u; d < D; d++) { dk[d] = 0.0; dv[d] = 0.0; }
  for (var hh = 0u; hh < group; hh++) {
    let h = g * group + hh;
    for (var t = s; t < params.T; t++) {
      let row = b * params.T + t;
      let qo = row * params.W + h * D;
      let oo = row * params.C + h * D;
      let li = (b * params.NH + h) * params.T + t;
      var sc = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < D; d++) { sc += qkv[qo + d] * qkv[ko + d]; dp += dout[oo + d] * qkv[vo + d]; }
      let p = exp(sc * params.scale - lse[li]);
      let ds = p * (dp - delta[li]) * params.scale;
      for (var d = 0u; d < D; d++) { dk[d] += ds * qkv[qo + d]; dv[d] += p * dout[oo + d]; }
    }
  }
  for (var d = 0u; d < D; d++) { dqkv[ko + d] = dk[d]; dqkv[vo + d] = dv[d]; }`,
});
