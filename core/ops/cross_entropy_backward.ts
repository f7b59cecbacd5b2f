/**
 * CPU reference backward of softmax cross-entropy (core/ops/cross_entropy.ts), fused as llm.c does:
 * ∂loss_n/∂logits_n = softmax(logits_n) − onehot(target_n). Shapes: logits (N, V), targets (N) →
 * dlogits (N, V), times `scale` (1/N for a mean loss). Float64, rounded once to the logits' type.
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";
import { softmaxRow } from "./cross_entropy.ts";

export const crossEntropyBackward = <A extends Floats>(
  logits: A,
  targets: Int32Array,
  N: number,
  V: number,
  scale: number,
): A => {
  const d = alloc(logits, N * V);
  for (let n = 0; n < N; n++) {
    const p = softmaxRow(logits, n * V, V);
    for (let i = 0; i < V; i++) d[n * V + i] = (p[i]! - (i === targets[n] ? 1 : 0)) * scale;
  }
  return d;
};
