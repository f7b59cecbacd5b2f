/**
 * Causal attention probabilities of one sequence from its queries, keys and the softmax's
 * log-sum-exp per query row (as the attention forward keeps it, core/ops/attention/attention.ts
 * attentionLse): P[h, t, s] = exp(q_t·k_s/√D − lse[h, t]) for s ≤ t, 0 for s > t, since
 * softmax(x)_s = exp(x_s − log Σ exp x). What the rank measure reads (Sanyal et al. 2024 v4, "lazy
 * layers"; core/surgery/diagnostics.ts). Shapes: q (T, NH·D), k (T, NKV·D), lse (NH, T); query
 * head h reads kv head ⌊h / (NH/NKV)⌋. Out (NH, T, T), row-major per head, in float64.
 * @module
 */
import type { Floats } from "../../model/floats.ts";
import type { AttentionShape } from "./attention.ts";

export const attentionProbs = (
  q: Floats,
  k: Floats,
  lse: ArrayLike<number>,
  sh: Omit<AttentionShape, "pos0">,
): Float64Array => {
  const { T, nHead: NH, nKvHead: NKV, headDim: D } = sh, scale = 1 / Math.sqrt(D);
  const out = new Float64Array(NH * T * T);
  for (let h = 0; h < NH; h++) {
    const ko = Math.floor(h / (NH / NKV)) * D;
    for (let t = 0; t < T; t++) {
      const qo = (t * NH + h) * D;
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * k[s * NKV * D + ko + d]!;
        out[(h * T + t) * T + s] = Math.exp(dot * scale - lse[h * T + t]!);
      }
    }
  }
  return out;
};
