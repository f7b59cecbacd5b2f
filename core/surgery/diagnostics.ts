/**
 * Per-block diagnostics of which blocks carry what matters (Sanyal et al. 2024 v4, "lazy layers";
 * ShortGPT, Men et al. 2024):
 * - attention rank of a head: the number of singular values holding 90% of the energy Σσ² of its
 *   T×T attention matrix (rank 1 = lazy), averaged over sequences; a block's is the max over heads;
 * - column share: the fraction of key columns that hold 90% of the attention mass (few = the head
 *   looks at a few tokens, e.g. the first);
 * - block influence: 1 − cos(input row, output row), averaged over rows (0 = the block is identity);
 * - early exit: the loss of the final norm and LM head applied to the block's output.
 * The energies σ² come from the Gram matrix's eigenvalues (core/surgery/spectrum.ts); the measures add
 * up over runs of windows (attentionSums, addAttention), so a caller never holds every window at once.
 * @module
 */
import { blockForwardSaved } from "../model/block_backward.ts";
import type { FloatWeights } from "../model/floats.ts";
import { probabilities } from "../ops/attention/attention.ts";
import { headDim, kvHeads, type ModelSpec } from "../model/spec.ts";
import { causalEnergies, spectrumScratch } from "./spectrum.ts";

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
export const columnShare90 = (P: ArrayLike<number>, T: number): number => {
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

/** The attention measures of one block, summed over the matrices seen so far. */
export interface AttentionSums {
  readonly ranks: Float64Array; // per head, Σ over sequences of the rank
  share: number; // Σ over matrices of the column share
  matrices: number;
}

export const attentionSums = (NH: number): AttentionSums => ({ ranks: new Float64Array(NH), share: 0, matrices: 0 });

/**
 * Adds one run's matrices of a block: probs (B, NH, T, T), sequence-major and head-minor, each a
 * causal T×T matrix (entries above the diagonal are not read by the rank).
 */
export const addAttention = (acc: AttentionSums, probs: Float32Array | Float64Array, T: number): void => {
  const NH = acc.ranks.length, n = probs.length / (T * T), scratch = spectrumScratch(T);
  for (let k = 0; k < n; k++) {
    const P = probs.subarray(k * T * T, (k + 1) * T * T);
    acc.ranks[k % NH] = acc.ranks[k % NH]! + countHolding(causalEnergies(P, T, scratch), 0.9);
    acc.share += columnShare90(P, T);
  }
  acc.matrices += n;
};

/** Per-head mean rank, its max over heads, and the mean column share. */
export const attentionSummary = (acc: AttentionSums) => {
  const seqs = acc.matrices / acc.ranks.length, headRanks = Array.from(acc.ranks, (r) => r / seqs);
  return { headRanks, maxRank: Math.max(...headRanks), columnShare: acc.share / acc.matrices };
};
