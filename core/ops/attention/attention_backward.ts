/**
 * CPU reference backward of causal attention with grouped-query heads (core/ops/attention/attention.ts),
 * written from the math. Per query row (t, h) with probabilities p = softmax(q·kᵀ/√D) over keys s ≤ pos:
 *   dv_s += p_s · dout        dp_s = dout · v_s        ds_s = p_s (dp_s − Σ_s′ p_s′ dp_s′)
 *   dq   += ds_s · k_s / √D   dk_s += ds_s · q / √D
 * A kv head's dk and dv sum over the query heads of its group. Shapes as the forward's inputs:
 * dout and q (T, NH·D); k and v (S, NKV·D), S = pos0 + T → dq (T, NH·D), dk and dv (S, NKV·D).
 * Sums in float64, accumulated in a fixed order (t ascending, then h, then s), rounded once to the
 * array type of dout.
 * The row term Σ_s p_s dp_s equals dout·out for out = Σ_s p_s v_s, so a backward pass that kept
 * out computes it as that dot (attentionDelta).
 * @module
 */
import { type Floats, fromSums } from "../../model/floats.ts";
import { type AttentionShape, probabilities } from "./attention.ts";

export interface AttentionGrads<A extends Floats> {
  readonly dq: A;
  readonly dk: A;
  readonly dv: A;
}

export const causalAttentionBackward = <A extends Floats>(
  dout: A,
  q: A,
  k: A,
  v: A,
  sh: AttentionShape,
): AttentionGrads<A> => {
  const { T, pos0, nHead: NH, nKvHead: NKV, headDim: D } = sh;
  const group = NH / NKV, scale = 1 / Math.sqrt(D);
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const kvo = Math.floor(h / group) * D;
      const ko = (s: number) => s * NKV * D + kvo;
      const qo = (t * NH + h) * D;
      const p = probabilities(q, qo, k, ko, pos0 + t, D);
      const dp = new Float64Array(p.length);
      let pdp = 0;
      for (let s = 0; s < p.length; s++) {
        for (let d = 0; d < D; d++) {
          dp[s]! += dout[qo + d]! * v[ko(s) + d]!;
          dv[ko(s) + d]! += p[s]! * dout[qo + d]!;
        }
        pdp += p[s]! * dp[s]!;
      }
      for (let s = 0; s < p.length; s++) {
        const ds = p[s]! * (dp[s]! - pdp) * scale;
        for (let d = 0; d < D; d++) {
          dq[qo + d]! += ds * k[ko(s) + d]!;
          dk[ko(s) + d]! += ds * q[qo + d]!;
        }
      }
    }
  }
  return { dq: fromSums(dout, dq), dk: fromSums(dout, dk), dv: fromSums(dout, dv) };
};

/** δ = Σ_d dout[t, h, d]·out[t, h, d] per query row, in float64: (NH, T), head-major. dout and out (T, NH·D). */
export const attentionDelta = (dout: Floats, out: Floats, T: number, NH: number, D: number): Float64Array => {
  const delta = new Float64Array(NH * T);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += dout[(t * NH + h) * D + d]! * out[(t * NH + h) * D + d]!;
      delta[h * T + t] = s;
    }
  }
  return delta;
};
