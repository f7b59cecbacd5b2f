/**
 * The attention backward kernels' cases, twin calls and allowances (gpu/kernels/attention/attention_backward.ts),
 * from core/ops/attention/attention_backward.ts per sequence (shapes: gpu/kernels/attention/_attention_twin.ts).
 * Allowance, per query row (t, h) with probabilities P_s: a score's error is D ulps of its terms, so
 * P's relative error is E = 1 + max_s Σ|q·k_s|/√D + |lse| ulps-worth; dP − δ is a cancellation whose
 * error is D ulps of A = max_s Σ|dout·v_s| + Σ|dout·out|. Each gradient sums its row terms after that.
 * @module
 */
import { attentionLse, causalAttention, probabilities } from "../../../core/ops/attention/attention.ts";
import { attentionDelta, causalAttentionBackward } from "../../../core/ops/attention/attention_backward.ts";
import { type Inputs, overwrite, wide } from "../../engine/twin.ts";
import { concat, type Heads, heads, perSequence, sequence } from "./_attention_twin.ts";

const rows = (d: Heads) => d.B * d.T;
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
const seqOf = (d: Heads, a: ArrayLike<number>, b: number, width: number) =>
  wide(Array.from(a).slice(b * d.T * width, (b + 1) * d.T * width));

const saved = {
  out: {
    _tag: "derived",
    make: (d: Heads, a: Inputs) =>
      f32(concat(perSequence(d, (b) => {
        const s = sequence(d, a, b);
        return causalAttention(s.q, s.k, s.v, s.sh);
      }))),
  },
  lse: {
    _tag: "derived",
    make: (d: Heads, a: Inputs) =>
      f32(concat(perSequence(d, (b) => {
        const s = sequence(d, a, b);
        return attentionLse(s.q, s.k, s.sh);
      }))),
  },
} as const;
const deltaOf = (d: Heads, a: Inputs) =>
  concat(
    perSequence(d, (b) =>
      attentionDelta(
        seqOf(d, a.f32("dout"), b, heads(d).C),
        seqOf(d, a.f32("out"), b, heads(d).C),
        d.T,
        heads(d).NH,
        d.D,
      )),
  );

/** The gradients in dqkv's layout (B·T, W): dq at columns 0 .. C, dk and dv after; the other columns as found. */
const dqkv = (
  d: Heads,
  a: Inputs,
  part: "q" | "kv",
  f: (b: number) => { dq: ArrayLike<number>; dk: ArrayLike<number>; dv: ArrayLike<number> },
) => {
  const { C, KV, W } = heads(d), g = perSequence(d, f);
  return overwrite(a.f32("dqkv"), (i) => {
    const n = Math.floor(i / W), c = i % W, b = Math.floor(n / d.T), t = n % d.T, s = g[b]!;
    if (part === "q") return c < C ? s.dq[t * C + c] : undefined;
    return c < C ? undefined : c < C + KV ? s.dk[t * KV + c - C] : s.dv[t * KV + c - C - KV];
  });
};
const grads = (d: Heads, a: Inputs) => (b: number) => {
  const s = sequence(d, a, b);
  return causalAttentionBackward(seqOf(d, a.f32("dout"), b, heads(d).C), s.q, s.k, s.v, s.sh);
};

/** Σ|terms| of dq, dk and dv per element, weighted by the rows' error factors A·E (dq, dk) and E (dv). */
const scales = (d: Heads, a: Inputs) => (b: number) => {
  const { q, k, v, sh } = sequence(d, a, b), { NH, C, KV, scale } = heads(d), D = d.D, T = d.T, G = d.G;
  const dout = seqOf(d, a.f32("dout"), b, C), out = seqOf(d, a.f32("out"), b, C), lse = a.f32("lse");
  const dq = new Float64Array(T * C), dk = new Float64Array(T * KV), dv = new Float64Array(T * KV);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const qo = (t * NH + h) * D,
        ko = (s: number) => (s * d.NKV + Math.floor(h / G)) * D,
        P = probabilities(q, qo, k, ko, t, D);
      let A = 0, E = 1 + Math.abs(lse[(b * NH + h) * T + t]!);
      for (let j = 0; j < D; j++) A += Math.abs(dout[qo + j]! * out[qo + j]!);
      const dvMax = Math.max(
        ...P.map((_, s) => v.subarray(ko(s), ko(s) + D).reduce((m, x, j) => m + Math.abs(x * dout[qo + j]!), 0)),
      );
      const sMax = Math.max(
        ...P.map((_, s) => k.subarray(ko(s), ko(s) + D).reduce((m, x, j) => m + Math.abs(x * q[qo + j]!), 0)),
      );
      A += dvMax;
      E += sMax * scale;
      P.forEach((p, s) => {
        for (let j = 0; j < D; j++) {
          dq[qo + j]! += scale * p * Math.abs(k[ko(s) + j]!) * A * E;
          dk[ko(s) + j]! += scale * p * Math.abs(q[qo + j]!) * A * E;
          dv[ko(s) + j]! += p * Math.abs(dout[qo + j]!) * E;
        }
      });
    }
  }
  return { dq, dk, dv };
};

const common = {
  dims: { B: [1, 2], T: [1, 10], NKV: [1, 2], G: [1, 2], D: [1, 9] },
  uniforms: (d: Heads) => {
    const { NH, C, W, scale } = heads(d);
    return { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale };
  },
} as const;
const drawn = {
  qkv: { _tag: "f32", length: (d: Heads) => rows(d) * heads(d).W },
  dout: { _tag: "f32", length: (d: Heads) => rows(d) * heads(d).C },
} as const;

export const queryCase = {
  of: "core/ops/attention/attention_backward.ts causalAttentionBackward (dq), attentionDelta",
  ...common,
  inputs: { ...drawn, ...saved },
  outputs: { dqkv: (d: Heads) => rows(d) * heads(d).W, delta: (d: Heads) => d.B * heads(d).NH * d.T },
  run: (d: Heads, a: Inputs) => ({ dqkv: dqkv(d, a, "q", grads(d, a)), delta: deltaOf(d, a) }),
  tolerance: {
    dqkv: {
      _tag: "ulps",
      text: "(2D + T + 8) ulps of Σ_s P|k|·A·E/√D",
      ulps: (d: Heads) => 2 * d.D + d.T + 8,
      scale: ({ d, a }: { d: Heads; a: Inputs }) => dqkv(d, a, "q", scales(d, a)),
    },
    // D products summed: γ_D of Σ|dout·out|
    delta: {
      _tag: "ulps",
      text: "(D + 2) ulps of Σ|dout·out|",
      ulps: (d: Heads) => d.D + 2,
      scale: ({ d, a }: { d: Heads; a: Inputs }) =>
        concat(
          perSequence(d, (b) =>
            attentionDelta(
              seqOf(d, a.f32("dout"), b, heads(d).C).map(Math.abs),
              seqOf(d, a.f32("out"), b, heads(d).C).map(Math.abs),
              d.T,
              heads(d).NH,
              d.D,
            )),
        ),
    },
  },
} as const;

export const keyCase = {
  of: "core/ops/attention/attention_backward.ts causalAttentionBackward (dk, dv)",
  ...common,
  inputs: { ...drawn, ...saved, delta: { _tag: "derived", make: (d: Heads, a: Inputs) => f32(deltaOf(d, a)) } },
  outputs: { dqkv: (d: Heads) => rows(d) * heads(d).W },
  run: (d: Heads, a: Inputs) => ({ dqkv: dqkv(d, a, "kv", grads(d, a)) }),
  // a key's gradients sum G·T query rows' terms: (2D + G·T + 8) ulps of them (dv: no score cancellation, but E alike)
  tolerance: {
    dqkv: {
      _tag: "ulps",
      text: "(2D + G·T + 8) ulps of Σ P|q|·A·E/√D (dk) and Σ P|dout|·E (dv)",
      ulps: (d: Heads) => 2 * d.D + d.G * d.T + 8,
      scale: ({ d, a }: { d: Heads; a: Inputs }) => dqkv(d, a, "kv", scales(d, a)),
    },
  },
} as const;
