/**
 * A document's scores and a task's metrics, as lm-evaluation-harness 0.4 computes them:
 * - choice: pred = argmax of the loglikelihoods (first on ties, as np.argmax); acc = [pred = gold];
 *   acc_norm = [argmax of ll_i / len(choice_i) = gold], len in characters of the choice text (without
 *   the delimiter space: the harness's `completion_len` over doc_to_choice);
 * - completion: acc = [every continuation token is the model's argmax]; the loglikelihood feeds ppl.
 * Aggregates: acc and acc_norm are means, their stderr the harness's mean_stderr (sample standard
 * deviation with n − 1, over √n); ppl = exp(−mean over documents of the loglikelihood) (the harness's
 * `perplexity` aggregation; its stderr the harness bootstraps, which is left out here).
 * Pure.
 * @module
 */
import type { EvalDoc, MetricName } from "./requests.ts";

/** What the model said about one document's requests, in request order. */
export interface DocResult {
  readonly loglikelihoods: ReadonlyArray<number>;
  readonly isGreedy: ReadonlyArray<boolean>;
}

export interface DocScores {
  readonly pred: number; // the chosen request; for a completion 0 when greedy, −1 otherwise
  readonly acc: number; // 0 | 1
  readonly accNorm: number | null;
  readonly ll: number; // the gold request's loglikelihood (ppl's term)
}

export const argmaxFirst = (xs: ReadonlyArray<number>): number =>
  xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

export const scoreDoc = (d: EvalDoc, r: DocResult): DocScores => {
  if (d.kind === "completion") {
    const greedy = r.isGreedy.every((g) => g);
    return { pred: greedy ? 0 : -1, acc: greedy ? 1 : 0, accNorm: null, ll: r.loglikelihoods[0]! };
  }
  const pred = argmaxFirst(r.loglikelihoods);
  const norm = d.normLengths === null
    ? null
    : argmaxFirst(r.loglikelihoods.map((ll, i) => ll / d.normLengths![i]!)) === d.gold
    ? 1
    : 0;
  return { pred, acc: pred === d.gold ? 1 : 0, accNorm: norm, ll: r.loglikelihoods[d.gold]! };
};

export const mean = (xs: ReadonlyArray<number>): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The harness's mean_stderr: sample stddev (n − 1) / √n; NaN for one document, as numpy's n − 1 = 0 gives. */
export const meanStderr = (xs: ReadonlyArray<number>): number => {
  const n = xs.length, mu = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / (n - 1)) / Math.sqrt(n);
};

/** A task's results by the harness's metric names; only the metrics that apply are present. */
export interface TaskMetrics {
  readonly acc?: number;
  readonly acc_stderr?: number;
  readonly acc_norm?: number;
  readonly acc_norm_stderr?: number;
  readonly ppl?: number;
  readonly n: number;
}

export const aggregate = (metrics: ReadonlyArray<MetricName>, docs: ReadonlyArray<DocScores>): TaskMetrics => {
  const acc = docs.map((d) => d.acc), norm = docs.map((d) => d.accNorm ?? NaN);
  return {
    ...(metrics.includes("acc") ? { acc: mean(acc), acc_stderr: meanStderr(acc) } : {}),
    ...(metrics.includes("acc_norm") ? { acc_norm: mean(norm), acc_norm_stderr: meanStderr(norm) } : {}),
    ...(metrics.includes("ppl") ? { ppl: Math.exp(-mean(docs.map((d) => d.ll))) } : {}),
    n: docs.length,
  };
};
