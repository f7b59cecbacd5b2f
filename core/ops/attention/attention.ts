/**
 * CPU reference causal multi-head attention with grouped-query heads (Ainslie et al. 2023).
 * Shapes: q (T, NH·D) for positions pos0..pos0+T−1; k, v (S, NKV·D) for positions 0..S−1 with
 * S ≥ pos0 + T (a KV cache holds earlier positions). Query head h reads kv head ⌊h / (NH/NKV)⌋,
 * as llama2.c's kv_mul. Output (T, NH·D) = softmax(q·kᵀ/√D, causal) · v.
 * The softmax's log-sum-exp per query row, lse = log Σ_s exp(q·k_s/√D), is what a backward pass
 * keeps from the forward (attentionLse).
 * Attention over spans (spanAttention), for sequences packed side by side (core/eval/packed_layout.ts):
 * query t sees the keys s ≤ t in [spans[3t], spans[3t+1]) ∪ [spans[3t+2], t] of its packed sequence (a
 * prefix token sees its prefix up to itself), and softmax(q·kᵀ/√D) over those keys weighs their values.
 * Shapes: q (T, NH·D), k and v (T, NKV·D), spans (T, 3) → (T, NH·D); spans (0, 0, 0) everywhere is causal
 * attention from position 0.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";

export interface AttentionShape {
  readonly T: number;
  readonly pos0: number;
  readonly nHead: number;
  readonly nKvHead: number;
  readonly headDim: number;
}

/** Attention probabilities of one query row (q at offset qo, key s at ko(s)): length pos+1, in float64. */
export const probabilities = (
  q: Floats,
  qo: number,
  k: Floats,
  ko: (s: number) => number,
  pos: number,
  D: number,
): Float64Array => {
  const p = new Float64Array(pos + 1);
  const scale = 1 / Math.sqrt(D);
  let max = -Infinity;
  for (let s = 0; s <= pos; s++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qo + d]! * k[ko(s) + d]!;
    p[s] = dot * scale;
    if (p[s]! > max) max = p[s]!;
  }
  let sum = 0;
  for (let s = 0; s <= pos; s++) sum += p[s] = Math.exp(p[s]! - max);
  for (let s = 0; s <= pos; s++) p[s] = p[s]! / sum;
  return p;
};

export const causalAttention = <A extends Floats>(q: A, k: A, v: A, sh: AttentionShape): A => {
  const { T, pos0, nHead: NH, nKvHead: NKV, headDim: D } = sh;
  const group = NH / NKV;
  const out = alloc(q, T * NH * D);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const kvo = Math.floor(h / group) * D;
      const ko = (s: number) => s * NKV * D + kvo;
      const qo = (t * NH + h) * D;
      const p = probabilities(q, qo, k, ko, pos0 + t, D);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let s = 0; s < p.length; s++) acc += p[s]! * v[ko(s) + d]!;
        out[qo + d] = acc;
      }
    }
  }
  return out;
};

/** Log-sum-exp of each query row's scaled scores over its keys s ≤ pos0 + t, in float64: (NH, T), head-major. */
export const attentionLse = (q: Floats, k: Floats, sh: AttentionShape): Float64Array => {
  const { T, pos0, nHead: NH, nKvHead: NKV, headDim: D } = sh;
  const out = new Float64Array(NH * T), scale = 1 / Math.sqrt(D);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const qo = (t * NH + h) * D, ko = Math.floor(h / (NH / NKV)) * D, scores: number[] = [];
      for (let s = 0; s <= pos0 + t; s++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * k[s * NKV * D + ko + d]!;
        scores.push(dot * scale);
      }
      const max = Math.max(...scores);
      out[h * T + t] = max + Math.log(scores.reduce((a, x) => a + Math.exp(x - max), 0));
    }
  }
  return out;
};

export interface SpanShape {
  readonly T: number;
  readonly nHead: number;
  readonly nKvHead: number;
  readonly headDim: number;
}

/** The keys query t sees, in increasing order: none past t. */
export const visibleKeys = (spans: ArrayLike<number>, t: number): number[] => {
  const keys: number[] = [];
  for (let s = 0; s <= t; s++) {
    if ((s >= spans[3 * t]! && s < spans[3 * t + 1]!) || s >= spans[3 * t + 2]!) keys.push(s);
  }
  return keys;
};

export const spanAttention = <A extends Floats>(q: A, k: A, v: A, spans: ArrayLike<number>, sh: SpanShape): A => {
  const { T, nHead: NH, nKvHead: NKV, headDim: D } = sh, out = alloc(q, T * NH * D), scale = 1 / Math.sqrt(D);
  for (let t = 0; t < T; t++) {
    const keys = visibleKeys(spans, t);
    for (let h = 0; h < NH; h++) {
      const qo = (t * NH + h) * D, kvo = Math.floor(h / (NH / NKV)) * D;
      const scores = keys.map((s) => {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * k[s * NKV * D + kvo + d]!;
        return dot * scale;
      });
      const max = Math.max(...scores), w = scores.map((x) => Math.exp(x - max)), sum = w.reduce((a, x) => a + x, 0);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        keys.forEach((s, j) => (acc += w[j]! * v[s * NKV * D + kvo + d]!));
        out[qo + d] = acc / sum;
      }
    }
  }
  return out;
};
