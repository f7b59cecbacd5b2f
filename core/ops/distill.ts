/**
 * Distillation loss (Hinton et al. 2015) mixed with next-token cross-entropy, per row of logits z
 * (N, V) against the frozen reference's logits r (N, V) and the targets (N):
 *   loss = (1 − a)·CE(z, target) + a·τ²·KL(softmax(r/τ) ‖ softmax(z/τ))
 *   ∂loss/∂z = (1 − a)·(softmax(z) − onehot(target)) + a·τ·(softmax(z/τ) − softmax(r/τ))
 * The τ² keeps the soft term's gradient on the scale of the hard one's. Rows are averaged (·scale).
 * a = 0 is exactly plain cross-entropy. Sums in float64. CPU twin of gpu/kernels/distill.ts.
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";
import { crossEntropyRows, softmaxRow } from "./cross_entropy.ts";

export interface Distill {
  readonly weight: number; // a in [0, 1]
  readonly temperature: number; // τ > 0
}

const logSoftmax = (z: Floats, o: number, V: number, tau: number): Float64Array => {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, z[o + v]! / tau);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(z[o + v]! / tau - m);
  const lse = m + Math.log(s), out = new Float64Array(V);
  for (let v = 0; v < V; v++) out[v] = z[o + v]! / tau - lse;
  return out;
};

/**
 * Mean mixed loss over the N rows and its gradient (scaled by `scale`, 1/N for a mean). The hard
 * term is core/ops/cross_entropy.ts's own row loss and softmax, so a = 0 gives meanCrossEntropy and
 * crossEntropyBackward bit for bit.
 */
export const distillLossAndGrad = <A extends Floats>(
  z: A,
  r: Floats,
  targets: Int32Array,
  N: number,
  V: number,
  kd: Distill,
  scale: number,
): { loss: number; dz: A } => {
  const dz = alloc(z, N * V),
    a = kd.weight,
    tau = kd.temperature,
    ce = crossEntropyRows(z, targets, N, V),
    rows = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const o = n * V, p = softmaxRow(z, o, V), lt = logSoftmax(z, o, V, tau), lr = logSoftmax(r, o, V, tau);
    let kl = 0;
    for (let v = 0; v < V; v++) kl += Math.exp(lr[v]!) * (lr[v]! - lt[v]!);
    rows[n] = (1 - a) * ce[n]! + (a === 0 ? 0 : a * tau * tau * kl);
    for (let v = 0; v < V; v++) {
      const hard = p[v]! - (v === targets[n]! ? 1 : 0),
        soft = a === 0 ? 0 : a * tau * (Math.exp(lt[v]!) - Math.exp(lr[v]!));
      dz[o + v] = ((1 - a) * hard + soft) * scale;
    }
  }
  return { loss: rows.reduce((x, y) => x + y, 0) / N, dz };
};
