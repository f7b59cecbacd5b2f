/**
 * CPU reference softmax and cross-entropy. Shapes: logits (N, V), targets (N) → mean loss.
 * Loss per row: logsumexp(logits) − logits[target], computed in float64 with the max subtracted.
 * @module
 */
import type { Floats } from "../model/floats.ts";

export const softmaxRow = (logits: Floats, o: number, V: number, temperature = 1): Float64Array => {
  const p = new Float64Array(V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[o + i]! / temperature);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i] = Math.exp(logits[o + i]! / temperature - max);
  for (let i = 0; i < V; i++) p[i] = p[i]! / sum;
  return p;
};

/** Per-row losses (N). */
export const crossEntropyRows = (logits: Floats, targets: Int32Array, N: number, V: number): Float64Array => {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const o = n * V;
    let max = -Infinity;
    for (let i = 0; i < V; i++) max = Math.max(max, logits[o + i]!);
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(logits[o + i]! - max);
    out[n] = Math.log(sum) + max - logits[o + targets[n]!]!;
  }
  return out;
};

export const meanCrossEntropy = (logits: Floats, targets: Int32Array, N: number, V: number): number =>
  crossEntropyRows(logits, targets, N, V).reduce((a, b) => a + b, 0) / N;
