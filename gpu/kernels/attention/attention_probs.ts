/**
 * The causal attention probabilities of one block, for the rank measure (Sanyal et al. 2024 v4,
 * "lazy layers"; adapters/analysis/): probs[b, h, t, s] = exp(q_t·k_s·scale − lse[b, h, t]) for
 * s ≤ t, 0 for s > t, from the block's qkv (B·T, W) after rotary and the log-sum-exp the attention
 * forward kept (lse (B, NH, T), gpu/kernels/attention/attention.ts), so no max/sum pass is redone.
 * Query head h reads kv head ⌊h / (NH/NKV)⌋ (GQA); k starts at column C = NH·D of a qkv row.
 * Out (B, NH, T, T), row-major per (b, h): the caller keeps B·NH·T·T floats within one binding.
 * The layout of attentionForward's first pass: a workgroup of 8 lanes, QB query rows a lane, the key
 * loop to the workgroup's last query (a uniform bound, so a key row is loaded once for the whole
 * SIMD vector on lavapipe, or shared through subgroups in the "lanes" build), masked past a lane's
 * own query; then zeros to the row's end, which need no loads.
 * CPU twin: core/ops/attention/attention_probs.ts `attentionProbs`.
 * @module
 */
import { attentionLse } from "../../../core/ops/attention/attention.ts";
import { attentionProbs as cpuAttentionProbs } from "../../../core/ops/attention/attention_probs.ts";
import { ceilDiv, defineKernel } from "../../engine/kernel.ts";
import type { Inputs } from "../../engine/twin.ts";
import { concat, type Heads, heads, perSequence, sequence } from "./_attention_twin.ts";
import {
  type AttentionBuild,
  attentionBuild,
  DEFAULT_QUERY_BLOCK,
  HEAD_DIM_PRELUDE,
  HEAD_DIM_VARIANTS,
  MAX_HEAD_DIM,
  perRow,
  rowLoader,
} from "./attention.ts";

/** Each sequence's lse as the attention forward leaves it: the twin's, rounded to f32. */
const lseOf = (d: Heads, a: Inputs) =>
  Float32Array.from(concat(perSequence(d, (b) => {
    const { q, k, sh } = sequence(d, a, b);
    return attentionLse(q, k, sh);
  })));

/** Σ_d |q_t,d·k_s,d|/√D + |lse_t| for every (b, h, t, s ≤ t): the magnitude of the exponent's terms. */
const exponentTerms = (d: Heads, a: Inputs): Float64Array => {
  const { NH } = heads(d), T = d.T, lse = a.f32("lse"), out = new Float64Array(d.B * NH * T * T);
  perSequence(d, (b) => {
    const { q, k } = sequence(d, a, b);
    for (let h = 0; h < NH; h++) {
      const ko = Math.floor(h / d.G) * d.D;
      for (let t = 0; t < T; t++) {
        for (let s = 0; s <= t; s++) {
          let m = 0;
          for (let j = 0; j < d.D; j++) m += Math.abs(q[(t * NH + h) * d.D + j]! * k[s * d.NKV * d.D + ko + j]!);
          out[((b * NH + h) * T + t) * T + s] = m / Math.sqrt(d.D) + Math.abs(lse[(b * NH + h) * T + t]!);
        }
      }
    }
  });
  return out;
};

export const probsCase = {
  of: "core/ops/attention/attention_probs.ts attentionProbs",
  dims: { B: [1, 2], T: [1, 12], NKV: [1, 2], G: [1, 3], D: [1, 9] },
  uniforms: (d: Heads) => {
    const { NH, C, W, scale } = heads(d);
    return { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale };
  },
  inputs: {
    qkv: { _tag: "f32", length: (d: Heads) => d.B * d.T * heads(d).W },
    lse: { _tag: "derived", make: lseOf },
  },
  outputs: { probs: (d: Heads) => d.B * heads(d).NH * d.T * d.T },
  run: (d: Heads, a: Inputs) => {
    const { NH } = heads(d), lse = a.f32("lse");
    return {
      probs: concat(perSequence(d, (b) => {
        const { q, k, sh } = sequence(d, a, b);
        return cpuAttentionProbs(q, k, lse.subarray(b * NH * d.T, (b + 1) * NH * d.T), sh);
      })),
    };
  },
  tolerance: {
    // The exponent x = fl(q·k)·fl(1/√D) − lse: the D-term dot, the scale's rounding and the product's, and
    // the subtraction put (D + 3) ulps of its terms A = Σ|q·k|/√D + |lse| on x, which exp turns into that
    // share of P; WGSL's exp adds 3 + 2|x| ulps of P, |x| ≤ A. So (D + 16) ulps of P·max(1, A).
    probs: {
      _tag: "ulps",
      text: "(D + 16) ulps of P·max(1, Σ|q·k|/√D + |lse|)",
      ulps: (d: Heads) => d.D + 16,
      scale: ({ d, a, want }: { d: Heads; a: Inputs; want: (n: string) => ArrayLike<number> }) => {
        const p = want("probs");
        return Float64Array.from(exponentTerms(d, a), (x, i) => p[i]! * Math.max(1, x));
      },
    },
  },
} as const;

const attentionProbsBuild = (build: AttentionBuild) => {
  const b = attentionBuild(build, "attention_probs", [["k_row", "qkv"]]);
  return defineKernel({
    name: b.name,
    enables: b.enables,
    bindings: [
      { name: "qkv", access: "read" },
      { name: "lse", access: "read" },
      { name: "probs", access: "read_write" },
    ],
    uniforms: { B: "u32", T: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", scale: "f32" },
    defines: { MAX_D: MAX_HEAD_DIM, DV: 0, QB: DEFAULT_QUERY_BLOCK },
    variants: HEAD_DIM_VARIANTS,
    twin: probsCase,
    workgroupSize: 8,
    grid: ({ B, T, NH }, [wx], { QB }) => [ceilDiv(T, wx * QB), NH, B],
    prelude: `${HEAD_DIM_PRELUDE}
  ${b.loaders}
  ${rowLoader("q_row", "qkv")}`,
    wgsl: ({ QB }) => /* wgsl */ `
    ${b.start}
    // Lane rows t0 + 8i + lane, as attentionForward; padding lanes redo the last row and skip the writes.
    let h = wg.y;
    let b = wg.z;
    let T = params.T;
    let D = head_dim(params.D);
    let t0 = wg.x * 8u * QB;
    let wgLast = min(t0 + 8u * QB - 1u, T - 1u); // uniform loop bound
    let k0 = b * T * params.W + params.C + (h / (params.NH / params.NKV)) * D;
    var q: array<array<vec4<f32>, ACC_N4>, QB>;
    var l: array<f32, QB>;
    var row: array<u32, QB>;
    for (var i = 0u; i < QB; i++) {
      row[i] = t0 + 8u * i + lid.x;
      let t = min(row[i], T - 1u);
      q[i] = q_row((b * T + t) * params.W + h * D, D);
      l[i] = lse[(b * params.NH + h) * T + t];
    }
    for (var s = 0u; s <= wgLast; s++) {
      let k = k_row(k0 + s * params.W, D);
      ${
      perRow(
        QB,
        `
        let p = select(0.0, exp(head_dot(q[i], k, D) * params.scale - l[i]), s <= row[i]);
        if (row[i] < T) { probs[((b * params.NH + h) * T + row[i]) * T + s] = p; }`,
      )
    }
    }
    for (var i = 0u; i < QB; i++) {
      if (row[i] < T) {
        for (var s = wgLast + 1u; s < T; s++) { probs[((b * params.NH + h) * T + row[i]) * T + s] = 0.0; }
      }
    }`,
  });
};

export const attentionProbs = attentionProbsBuild("plain");
export const attentionProbsLanes = attentionProbsBuild("lanes");
