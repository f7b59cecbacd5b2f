/**
 * Per-block diagnostics of which blocks carry what matters (Sanyal et al. 2024 v4, "lazy layers";
 * ShortGPT, Men et al. 2024):
 * - attention rank of a head: the number of singular values holding 90% of the energy Σσ² of its
 *   T×T attention matrix (rank 1 = lazy), averaged over sequences; a block's is the max over heads;
 * - column share: the fraction of key columns that hold 90% of the attention mass (few = the head
 *   looks at a few tokens, e.g. the first);
 * - block influence: 1 − cos(input row, output row), averaged over rows (0 = the block is identity);
 * - early exit: the loss of the final norm and LM head applied to the block's output.
 * Pure: the singular values come from a function the caller passes (adapters/analysis/attention_rank.ts).
 * @module
 */
import { blockForwardSaved } from "../model/block_backward.ts";
import type { FloatWeights } from "../model/floats.ts";
import { probabilities } from "../ops/attention/attention.ts";
import { headDim, kvHeads, type ModelSpec } from "../model/spec.ts";

/** Attention matrices of block i for input x (B·T, C): one T×T row-major matrix per (sequence, head). */
export const attentionMatrices = (
  s: ModelSpec,
  w: FloatWeights<Float32Array>,
  i: number,
  x: Float32Array,
  B: number,
  T: number,
): Float64Array[] => {
  const { saved } = blockForwardSaved(s, w, i, x, { B, T, N: B * T });
  const D = headDim(s), NH = s.nHead, NKV = kvHeads(s), Q = NH * D, KV = NKV * D, group = NH / NKV;
  const out: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const P = new Float64Array(T * T), g = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const p = probabilities(saved.q, (b * T + t) * Q + h * D, saved.k, (r) => (b * T + r) * KV + g * D, t, D);
        P.set(p, t * T);
      }
      out.push(P);
    }
  }
  return out;
};

/** How many of the largest values hold `share` of their sum (values ≥ 0). */
export const countHolding = (values: ArrayLike<number>, share: number): number => {
  const v = Array.from(values).sort((a, b) => b - a), total = v.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let k = 0; k < v.length; k++) {
    acc += v[k]!;
    if (acc >= share * total - 1e-12 * total) return k + 1;
  }
  return v.length;
};

/** Number of singular values holding 90% of the energy, given the singular values. */
export const rank90 = (singular: ArrayLike<number>): number => countHolding(Array.from(singular, (x) => x * x), 0.9);

/** Fraction of the T key columns that hold 90% of a T×T attention matrix's mass. */
export const columnShare90 = (P: Float64Array, T: number): number => {
  const cols = new Float64Array(T);
  for (let t = 0; t < T; t++) for (let s = 0; s <= t; s++) cols[s] = cols[s]! + P[t * T + s]!;
  return countHolding(cols, 0.9) / T;
};

/** Mean over rows of 1 − cos(x row, y row); rows (N, C). */
export const blockInfluence = (x: Float32Array, y: Float32Array, C: number): number => {
  const N = x.length / C;
  let sum = 0;
  for (let n = 0; n < N; n++) {
    let xy = 0, xx = 0, yy = 0;
    for (let c = 0; c < C; c++) {
      const a = x[n * C + c]!, b = y[n * C + c]!;
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    sum += 1 - (xx === 0 || yy === 0 ? (xx === yy ? 1 : 0) : xy / Math.sqrt(xx * yy));
  }
  return sum / N;
};

export interface BlockReport {
  readonly block: number;
  readonly headRanks: ReadonlyArray<number>; // mean over sequences, per head
  readonly maxRank: number; // max over heads of the mean rank
  readonly columnShare: number; // mean over sequences and heads
  readonly influence: number;
  readonly earlyExitLoss: number;
}

/** Per-head mean rank and the mean column share of one block's matrices (sequence-major, head-minor). */
export const summariseAttention = (
  mats: ReadonlyArray<Float64Array>,
  NH: number,
  T: number,
  singularValues: (P: Float64Array, T: number) => ArrayLike<number>,
) => {
  const ranks = new Float64Array(NH);
  let share = 0;
  mats.forEach((P, k) => {
    ranks[k % NH] = ranks[k % NH]! + rank90(singularValues(P, T));
    share += columnShare90(P, T);
  });
  const seqs = mats.length / NH, headRanks = Array.from(ranks, (r) => r / seqs);
  return { headRanks, maxRank: Math.max(...headRanks), columnShare: share / mats.length };
};
