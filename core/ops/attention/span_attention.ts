/**
 * CPU reference attention over spans, for sequences packed side by side (core/eval/packed_layout.ts):
 * query t sees the keys s ≤ t in [spans[3t], spans[3t+1]) ∪ [spans[3t+2], t] of its packed sequence (a
 * prefix token sees its prefix up to itself), and
 * softmax(q·kᵀ/√D) over those keys weighs their values. Grouped-query heads as causalAttention: query
 * head h reads kv head ⌊h / (NH/NKV)⌋. Shapes: q (T, NH·D), k and v (T, NKV·D), spans (T, 3) → (T, NH·D).
 * With spans (0, 0, 0) for every row it is causal attention from position 0.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";

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
