/**
 * The CPU twin of gpu/eval/target_scores.ts, from the math: for each query q = (position p, token t)
 * of a logits chunk (rows, V) starting at row row0,
 *   logp[q]   = z[p, t] − log Σ_v exp(z[p, v])   (log-softmax at the target, the max subtracted first)
 *   greedy[q] = 1 when t is the first index of the row's largest logit (torch.argmax's tie rule), else 0.
 * Queries q0 .. q0 + Q of the list are answered; float64 throughout.
 * @module
 */
import type { Floats } from "../model/floats.ts";

export interface TargetScores {
  readonly logp: Float64Array;
  readonly greedy: Int32Array;
}

/** Index of the first largest of V values from offset o. */
export const firstArgmax = (z: Floats, o: number, V: number): number => {
  let a = 0;
  for (let v = 1; v < V; v++) if (z[o + v]! > z[o + a]!) a = v;
  return a;
};

export const targetScores = (
  logits: Floats,
  queries: Int32Array,
  row0: number,
  q0: number,
  Q: number,
  V: number,
): TargetScores => {
  const logp = new Float64Array(Q), greedy = new Int32Array(Q);
  for (let n = 0; n < Q; n++) {
    const o = (queries[2 * (q0 + n)]! - row0) * V, t = queries[2 * (q0 + n) + 1]!;
    const a = firstArgmax(logits, o, V), m = logits[o + a]!;
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[o + v]! - m);
    logp[n] = logits[o + t]! - m - Math.log(s);
    greedy[n] = a === t ? 1 : 0;
  }
  return { logp, greedy };
};
