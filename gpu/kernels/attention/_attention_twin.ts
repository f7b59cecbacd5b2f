/**
 * The attention kernels' cases, twin calls and allowances (gpu/kernels/attention/attention.ts,
 * attention_backward.ts), from core/ops/attention/attention.ts and attention_backward.ts per sequence.
 * Shapes: qkv (B·T, W) = [q | k | v], W = C + 2·KV, C = NH·D, KV = NKV·D, NH = NKV·G; out and dout
 * (B·T, C); lse and delta (B, NH, T). A forward case may read its keys from a KV cache (B·S, 2·KV)
 * at positions pos0 .. (decoding); the backward kernels take full sequences; a spans case (spansCase) packs
 * several sequences side by side (core/eval/packed_layout.ts). The backward's
 * inputs out, lse and delta are the forward's twin rounded to f32, as the kernels keep them.
 * @module
 */
import { columns } from "../../../core/model/forward.ts";
import {
  attentionLse,
  type AttentionShape,
  causalAttention,
  probabilities,
  spanAttention,
} from "../../../core/ops/attention/attention.ts";
import { attentionDelta, causalAttentionBackward } from "../../../core/ops/attention/attention_backward.ts";
import { type DimValues, type Inputs, overwrite, wide } from "../../engine/twin.ts";

export type Heads = DimValues<"B" | "T" | "NKV" | "G" | "D">;
type Fwd = Heads & DimValues<"cached" | "pos0" | "spare">;
export const heads = (d: Heads) => {
  const NH = d.NKV * d.G, C = NH * d.D, KV = d.NKV * d.D;
  return { NH, C, KV, W: C + 2 * KV, scale: 1 / Math.sqrt(d.D) };
};
const p0 = (d: Fwd) => (d.cached ? d.pos0 : 0);
const cacheRows = (d: Fwd) => p0(d) + d.T + d.spare;

/** Sequence b's q (T, C), k and v (S, KV), in float64, and its shape for core/ops. */
export const sequence = (d: Heads & Partial<Fwd>, a: Inputs, b: number) => {
  const { C, KV, W } = heads(d), T = d.T, qkv = wide(a.f32("qkv").subarray(b * T * W, (b + 1) * T * W));
  const fromCache = d.cached === 1 && d.pos0 !== undefined && d.spare !== undefined;
  const S = fromCache ? cacheRows(d as Fwd) : T,
    kv = fromCache ? wide(a.f32("cache").subarray(b * S * 2 * KV, (b + 1) * S * 2 * KV)) : qkv;
  const [kvW, kOff] = fromCache ? [2 * KV, 0] : [W, C];
  const sh: AttentionShape = { T, pos0: fromCache ? d.pos0! : 0, nHead: heads(d).NH, nKvHead: d.NKV, headDim: d.D };
  return { q: columns(qkv, T, W, 0, C), k: columns(kv, S, kvW, kOff, KV), v: columns(kv, S, kvW, kOff + KV, KV), sh };
};
export const perSequence = <R>(d: Heads, f: (b: number) => R): R[] => Array.from({ length: d.B }, (_, b) => f(b));
/** (B, NH, T) from each sequence's (NH, T). */
export const concat = (parts: ArrayLike<number>[]) => Float64Array.from(parts.flatMap((p) => Array.from(p)));

export const forwardCase = {
  of: "core/ops/attention/attention.ts causalAttention, attentionLse",
  // cached = 1: the keys come from a KV cache of S = pos0 + T + spare rows, queries at pos0 ..
  dims: { B: [1, 2], T: [1, 12], NKV: [1, 2], G: [1, 3], D: [1, 9], cached: [0, 1], pos0: [0, 3], spare: [0, 2] },
  uniforms: (d: Fwd) => {
    const { NH, C, KV, W, scale } = heads(d), c = d.cached === 1;
    return {
      B: d.B,
      T: d.T,
      NH,
      NKV: d.NKV,
      D: d.D,
      W,
      C,
      scale,
      S: c ? cacheRows(d) : d.T,
      kvW: c ? 2 * KV : W,
      kOff: c ? 0 : C,
      vOff: c ? KV : C + KV,
      pos0: p0(d),
    };
  },
  inputs: {
    qkv: { _tag: "f32", length: (d: Fwd) => d.B * d.T * heads(d).W },
    cache: { _tag: "f32", length: (d: Fwd) => (d.cached ? d.B * cacheRows(d) * 2 * heads(d).KV : 1) },
    kv: { _tag: "derived", make: (d: Fwd, a: Inputs) => a.f32(d.cached ? "cache" : "qkv") },
  },
  outputs: { out: (d: Fwd) => d.B * d.T * heads(d).C, lse: (d: Fwd) => d.B * heads(d).NH * d.T },
  run: (d: Fwd, a: Inputs) => {
    const s = perSequence(d, (b) => sequence(d, a, b));
    return {
      out: concat(s.map(({ q, k, v, sh }) => causalAttention(q, k, v, sh))),
      lse: concat(s.map(({ q, k, sh }) => attentionLse(q, k, sh))),
    };
  },
  tolerance: {
    // query t (at pos0 + t) sums pos0 + t + 1 exps and values, after scores of D products:
    // (2(pos0 + t) + 2D + 32) ulps of the sequence's max |v|
    out: {
      _tag: "ulps",
      text: "(2(pos0 + t) + 2D + 32) ulps of max|v|",
      ulps: (d: Fwd) => 2 * (p0(d) + d.T - 1) + 2 * d.D + 32,
      scale: ({ d, a }: { d: Fwd; a: Inputs }) => {
        const { C } = heads(d), top = 2 * (p0(d) + d.T - 1) + 2 * d.D + 32;
        return concat(perSequence(d, (b) => {
          const vmax = sequence(d, a, b).v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
          return Float64Array.from(
            { length: d.T * C },
            (_, i) => ((2 * (p0(d) + Math.floor(i / C)) + 2 * d.D + 32) / top) * vmax,
          );
        }));
      },
    },
    // the max score (D products), its exps' sum (pos0 + T terms) and log: (3D + pos0 + T + 16)
    // ulps of the largest score's terms Σ|q·k|/√D, or |lse|, or 1
    lse: {
      _tag: "ulps",
      text: "(3D + pos0 + T + 16) ulps of max(1, |lse|, max_s Σ|q·k_s|/√D)",
      ulps: (d: Fwd) => 3 * d.D + p0(d) + d.T + 16,
      scale: ({ d, a, want }: { d: Fwd; a: Inputs; want: (n: string) => ArrayLike<number> }) => {
        const l = want("lse"), terms = concat(perSequence(d, (b) => scoreTerms(sequence(d, a, b))));
        return Float64Array.from(terms, (t, i) => Math.max(1, Math.abs(l[i]!), t));
      },
    },
  },
} as const;

/** max_s Σ_d |q_d·k_sd|/√D per query row, (NH, T). */
const scoreTerms = ({ q, k, sh }: ReturnType<typeof sequence>): Float64Array => {
  const { T, pos0, nHead: NH, nKvHead: NKV, headDim: D } = sh, out = new Float64Array(NH * T);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const g = Math.floor(h / (NH / NKV));
      for (let s = 0; s <= pos0 + t; s++) {
        let m = 0;
        for (let j = 0; j < D; j++) m += Math.abs(q[(t * NH + h) * D + j]! * k[(s * NKV + g) * D + j]!);
        out[h * T + t] = Math.max(out[h * T + t]!, m / Math.sqrt(D));
      }
    }
  }
  return out;
};

type Spans = Heads & DimValues<"groups">;
/**
 * Spans of sequence b from drawn integers: token t sees [lo, hi) ∪ [seg, t] with lo ≤ hi ≤ T and seg ≤ t, drawn at
 * random (overlapping, empty or disjoint; any spans the kernel may be handed), or, with groups = 1, a packed
 * layout's (core/eval/packed_layout.ts): each drawn cut starts a group or a segment.
 */
const spansOf = (d: Spans, a: Inputs): Int32Array => {
  const raw = a.i32("raw"), out = new Int32Array(3 * d.B * d.T);
  for (let n = 0; n < d.B * d.T; n++) {
    const t = n % d.T, [r0, r1, r2] = [raw[3 * n]!, raw[3 * n + 1]!, raw[3 * n + 2]!];
    const lo = r0 % (t + 1), hi = lo + (r1 % (d.T + 1 - lo));
    out.set([lo, hi, r2 % (t + 1)], 3 * n);
  }
  if (d.groups === 0) return out;
  for (let b = 0; b < d.B; b++) {
    // raw's parity per token: 0 continues, 1 starts a segment, 2 a group; a prefix of 0 .. 2 tokens
    let g0 = 0, p = 0, seg = 0;
    for (let t = 0; t < d.T; t++) {
      const kind = t === 0 ? 2 : raw[3 * (b * d.T + t)]! % 3;
      if (kind === 2) [g0, p, seg] = [t, Math.min(raw[3 * (b * d.T + t) + 1]! % 3, d.T - t), t];
      else if (kind === 1 && t >= g0 + p) seg = t;
      out.set(t < g0 + p ? [g0, g0 + p, g0] : [g0, g0 + p, seg], 3 * (b * d.T + t));
    }
  }
  return out;
};

export const spansCase = {
  of: "core/ops/attention/attention.ts spanAttention",
  dims: { B: [1, 2], T: [1, 12], NKV: [1, 2], G: [1, 3], D: [1, 9], groups: [0, 1] },
  uniforms: (d: Spans) => {
    const { NH, C, KV, W, scale } = heads(d);
    return { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale, S: d.T, kvW: W, kOff: C, vOff: C + KV, pos0: 0 };
  },
  inputs: {
    qkv: { _tag: "f32", length: (d: Spans) => d.B * d.T * heads(d).W },
    kv: { _tag: "derived", make: (_d: Spans, a: Inputs) => a.f32("qkv") },
    raw: { _tag: "i32", length: (d: Spans) => 3 * d.B * d.T, min: () => 0, max: () => 1 << 20 },
    spans: { _tag: "derived", make: spansOf },
  },
  outputs: { out: (d: Spans) => d.B * d.T * heads(d).C },
  run: (d: Spans, a: Inputs) => {
    const sp = spansOf(d, a);
    return {
      out: concat(perSequence(d, (b) => {
        const { q, k, v, sh } = sequence(d, a, b);
        return spanAttention(q, k, v, sp.subarray(3 * b * d.T, 3 * (b + 1) * d.T), sh);
      })),
    };
  },
  tolerance: {
    // query t sums at most t + 1 exps and values, after scores of D products: the causal kernel's allowance
    out: {
      _tag: "ulps",
      text: "(2T + 2D + 32) ulps of max|v|",
      ulps: (d: Spans) => 2 * d.T + 2 * d.D + 32,
      scale: ({ d, a }: { d: Spans; a: Inputs }) => {
        const { C } = heads(d);
        return concat(perSequence(d, (b) => {
          const vmax = sequence(d, a, b).v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
          return new Float64Array(d.T * C).fill(vmax);
        }));
      },
    },
  },
} as const;
