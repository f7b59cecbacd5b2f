/**
 * Causal attention backward, as two owner-computes kernels (no atomics), from the forward's saved
 * log-sum-exp: P[t,s] = exp(scale·q_t·k_s − lse_t), dP[t,s] = dout_t·v_s, δ_t = dout_t·out_t.
 *   query kernel, one invocation per (b, h, t):  dq_t = scale·Σ_s P(dP − δ_t)·k_s; it stores δ.
 *   key kernel, one per (b, g, s) for kv head g:  dk_s = scale·Σ_{h ∈ g} Σ_{t ≥ s} P(dP − δ_t)·q_t,
 *                                                dv_s = Σ_{h ∈ g} Σ_{t ≥ s} P·dout_t.
 * Each lane owns QB rows (queries, or keys) so every row it loads in the loop serves all of them.
 * Shapes: qkv and dqkv (B·T, W) with q, k, v at columns 0, C, C + KV, C = NH·D; out and dout (B·T, C);
 * lse and delta (B, NH, T). Run the query kernel first (it writes δ). As in the forward, the loops
 * over keys (queries) run to a bound shared by the workgroup and mask with select, and a variant
 * per head dim keeps the per-lane arrays in registers; the "lanes" builds share the rows the loop
 * reads by subgroups (gpu/kernels/attention/attention.ts attentionBuild). CPU twin: core/ops/attention/attention_backward.ts
 * (cases: gpu/kernels/attention/_attention_backward_twin.ts).
 * @module
 */
import { ceilDiv, defineKernel } from "../../engine/kernel.ts";
import { keyCase, queryCase } from "./_attention_backward_twin.ts";
import {
  type AttentionBuild,
  attentionBuild,
  DEFAULT_QUERY_BLOCK,
  HEAD_DIM_PRELUDE,
  HEAD_DIM_VARIANTS,
  HEAD_DIMS,
  MAX_HEAD_DIM,
  perRow,
  rowLoader,
} from "./attention.ts";

/**
 * Key rows per lane in the key kernel, by head dim. It keeps four arrays of QB·D per lane (k, v and
 * their gradients), so it takes fewer rows than the query kernels: measured on lavapipe, QB 4
 * beats 2 at D = 8 (kernel 94–162 ms against 121–199 ms a stories260K step) and 2 beats 4 at
 * D = 32 (51–87 ms against 110–180 ms a gpt2 4×128 step), where the arrays spill.
 */
const keyBlock = (d: number): number => (d <= 16 ? 4 : d <= 64 ? 2 : 1);
const KEY_VARIANTS = Object.fromEntries(HEAD_DIMS.map((d) => [`d${d}`, { DV: d, QB: keyBlock(d) }]));

/** The prelude of a build: the per-lane row loaders, and the loaders of the rows the loop shares. */
const prelude = (loaders: string): string =>
  `${HEAD_DIM_PRELUDE}
${rowLoader("qkv_row", "qkv")}
${rowLoader("dout_row", "dout")}
${loaders}`;

const uniforms = { B: "u32", T: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", scale: "f32" } as const;

const attentionBackwardQBuild = (build: AttentionBuild) => {
  const b = attentionBuild(build, "attention_backward_q", [["qkv_shared", "qkv"]]);
  return defineKernel({
    name: b.name,
    enables: b.enables,
    bindings: [
      { name: "qkv", access: "read" },
      { name: "out", access: "read" },
      { name: "dout", access: "read" },
      { name: "lse", access: "read" },
      { name: "dqkv", access: "read_write" },
      { name: "delta", access: "read_write" },
    ],
    uniforms,
    defines: { MAX_D: MAX_HEAD_DIM, DV: 0, QB: DEFAULT_QUERY_BLOCK },
    variants: HEAD_DIM_VARIANTS,
    twin: queryCase,
    workgroupSize: 8,
    grid: ({ B, T, NH }, [wx], { QB }) => [ceilDiv(T, wx * QB), NH, B],
    prelude: prelude(b.loaders),
    wgsl: ({ QB }) => /* wgsl */ `
    ${b.start}
    // Each lane owns QB query rows t0 + 8i + lane, so each key and value row loaded serves QB of
    // them (as in the forward). Padding lanes redo the last row and skip the writes.
    let h = wg.y;
    let b = wg.z;
    let D = head_dim(params.D);
    let t0 = wg.x * 8u * QB;
    let wgLast = min(t0 + 8u * QB - 1u, params.T - 1u); // uniform loop bound
    let g = h / (params.NH / params.NKV);
    let kvd = params.NKV * D;
    var q: array<array<vec4<f32>, ACC_N4>, QB>;
    var dO: array<array<vec4<f32>, ACC_N4>, QB>;
    var dl: array<f32, QB>;
    var l: array<f32, QB>;
    var tq: array<u32, QB>;
    for (var i = 0u; i < QB; i++) {
      let t = min(t0 + 8u * i + lid.x, params.T - 1u);
      let row = b * params.T + t;
      let oo = row * params.C + h * D;
      var d0 = 0.0;
      for (var d = 0u; d < D; d++) { d0 += dout[oo + d] * out[oo + d]; }
      dl[i] = d0;
      l[i] = lse[(b * params.NH + h) * params.T + t];
      q[i] = qkv_row(row * params.W + h * D, D);
      dO[i] = dout_row(oo, D);
      tq[i] = t;
    }
    var acc: array<array<vec4<f32>, ACC_N4>, QB>;
    for (var s = 0u; s <= wgLast; s++) {
      let sr = (b * params.T + s) * params.W;
      let k = qkv_shared(sr + params.C + g * D, D);
      let v = qkv_shared(sr + params.C + kvd + g * D, D);
      ${
      perRow(
        QB,
        `
        let dp = head_dot(dO[i], v, D);
        let sc = head_dot(q[i], k, D);
        let ds = select(0.0, exp(sc * params.scale - l[i]) * (dp - dl[i]) * params.scale, s <= tq[i]);
        for (var j = 0u; j < (D + 3u) / 4u; j++) { acc[i][j] += ds * k[j]; }`,
      )
    }
    }
    for (var i = 0u; i < QB; i++) {
      let t = t0 + 8u * i + lid.x;
      if (t < params.T) {
        let row = b * params.T + t;
        let qo = row * params.W + h * D;
        for (var d = 0u; d < D; d++) { dqkv[qo + d] = acc[i][d / 4u][d % 4u]; }
        delta[(b * params.NH + h) * params.T + t] = dl[i];
      }
    }`,
  });
};

export const attentionBackwardQ = attentionBackwardQBuild("plain");
export const attentionBackwardQLanes = attentionBackwardQBuild("lanes");

const attentionBackwardKVBuild = (build: AttentionBuild) => {
  const b = attentionBuild(build, "attention_backward_kv", [["qkv_shared", "qkv"], ["dout_shared", "dout"]]);
  return defineKernel({
    name: b.name,
    enables: b.enables,
    bindings: [
      { name: "qkv", access: "read" },
      { name: "dout", access: "read" },
      { name: "lse", access: "read" },
      { name: "delta", access: "read" },
      { name: "dqkv", access: "read_write" },
    ],
    uniforms,
    defines: { MAX_D: MAX_HEAD_DIM, DV: 0, QB: DEFAULT_QUERY_BLOCK },
    variants: KEY_VARIANTS,
    twin: keyCase,
    workgroupSize: 8,
    grid: ({ B, T, NKV }, [wx], { QB }) => [ceilDiv(T, wx * QB), NKV, B],
    prelude: prelude(b.loaders),
    wgsl: ({ QB }) => /* wgsl */ `
    ${b.start}
    // Each lane owns QB key rows s0 + 8i + lane, so each query row loaded serves QB keys.
    // Padding lanes redo the last key and skip the writes.
    let g = wg.y;
    let b = wg.z;
    let D = head_dim(params.D);
    let kvd = params.NKV * D;
    let group = params.NH / params.NKV;
    let s0 = wg.x * 8u * QB; // uniform loop start: the workgroup's first key
    var kk: array<array<vec4<f32>, ACC_N4>, QB>;
    var vv: array<array<vec4<f32>, ACC_N4>, QB>;
    var sk: array<u32, QB>;
    for (var i = 0u; i < QB; i++) {
      let s = min(s0 + 8u * i + lid.x, params.T - 1u);
      let sr = (b * params.T + s) * params.W;
      kk[i] = qkv_row(sr + params.C + g * D, D);
      vv[i] = qkv_row(sr + params.C + kvd + g * D, D);
      sk[i] = s;
    }
    var dk: array<array<vec4<f32>, ACC_N4>, QB>;
    var dv: array<array<vec4<f32>, ACC_N4>, QB>;
    for (var hh = 0u; hh < group; hh++) {
      let h = g * group + hh;
      for (var t = s0; t < params.T; t++) {
        let row = b * params.T + t;
        let li = (b * params.NH + h) * params.T + t;
        let q = qkv_shared(row * params.W + h * D, D);
        let dO = dout_shared(row * params.C + h * D, D);
        let lt = lse[li];
        let dt = delta[li];
        ${
      perRow(
        QB,
        `
          let sc = head_dot(kk[i], q, D);
          let dp = head_dot(vv[i], dO, D);
          let p = select(0.0, exp(sc * params.scale - lt), t >= sk[i]);
          let ds = select(0.0, p * (dp - dt) * params.scale, t >= sk[i]);
          for (var j = 0u; j < (D + 3u) / 4u; j++) { dk[i][j] += ds * q[j]; dv[i][j] += p * dO[j]; }`,
      )
    }
      }
    }
    for (var i = 0u; i < QB; i++) {
      let s = s0 + 8u * i + lid.x;
      if (s < params.T) {
        let sr = (b * params.T + s) * params.W;
        let ko = sr + params.C + g * D;
        let vo = sr + params.C + kvd + g * D;
        for (var d = 0u; d < D; d++) { dqkv[ko + d] = dk[i][d / 4u][d % 4u]; dqkv[vo + d] = dv[i][d / 4u][d % 4u]; }
      }
    }`,
  });
};

export const attentionBackwardKV = attentionBackwardKVBuild("plain");
export const attentionBackwardKVLanes = attentionBackwardKVBuild("lanes");
