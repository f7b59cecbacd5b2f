/**
 * Scoring a task's documents on a Scorer: every request tokenized (core/eval/encode_pair.ts), packed
 * into batches (core/eval/pack.ts: each shared context read once), each batch scored, the queries' log-probabilities summed per
 * request in continuation order (float64) and their greedy flags and-ed; then each document's scores
 * and the task's metrics (core/eval/metrics.ts).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { AppError } from "../errors.ts";
import { contextLimit } from "../model/spec.ts";
import { type Encode, type TokenRequest, tokenRequest } from "./encode_pair.ts";
import { aggregate, type DocResult, type DocScores, scoreDoc, type TaskMetrics } from "./metrics.ts";
import { packBatches } from "./pack.ts";
import type { EvalDoc, MetricName } from "./requests.ts";
import type { Scorer } from "./scorer.ts";

export interface ScoreOptions {
  readonly encode: Encode; // without BOS or EOS
  readonly bos: number;
  readonly addsBos?: boolean; // whether BOS precedes a non-empty context (the tokenizer's convention); absent: yes
  readonly rows: number; // rows (requests not read from another's) per batch
  readonly maxTokens: number; // positions read per batch at most
  readonly onBatch?: (done: number, total: number) => void;
}

export interface TaskScores {
  readonly metrics: TaskMetrics;
  readonly docs: ReadonlyArray<DocResult & DocScores & { readonly gold: number }>;
}

const tokenize = (docs: ReadonlyArray<EvalDoc>, o: ScoreOptions, blockSize: number) => {
  const reqs: TokenRequest[] = [];
  for (const d of docs) {
    for (const r of d.requests) {
      const t = tokenRequest(o.encode, o.bos, blockSize, r, o.addsBos ?? true);
      if (E.isLeft(t)) return t;
      reqs.push(t.right);
    }
  }
  return E.right(reqs);
};

/**
 * Loglikelihood and greedy flag of every request, in order. The next batch is handed to the scorer
 * before this one's scores are awaited, so a device runs one batch while the host records the next
 * (a device queue runs them in order; the CPU scorer simply runs each at once).
 */
export const scoreRequests = async (
  scorer: Scorer,
  reqs: ReadonlyArray<TokenRequest>,
  o: Pick<ScoreOptions, "rows" | "maxTokens" | "onBatch">,
): Promise<E.Either<AppError, { ll: Float64Array; greedy: Uint8Array }>> => {
  const ll = new Float64Array(reqs.length), greedy = new Uint8Array(reqs.length).fill(1);
  const batches = packBatches(reqs, { rows: o.rows, maxTokens: o.maxTokens });
  const run = (k: number) => (k < batches.length ? scorer.score(batches[k]!)() : undefined);
  let pending = run(0);
  for (const [k, b] of batches.entries()) {
    const ahead = run(k + 1), s = await pending!;
    if (E.isLeft(s)) return (await ahead, s);
    b.owner.forEach((i, q) => {
      ll[i] = ll[i]! + s.right.logp[q]!;
      if (s.right.greedy[q] !== 1) greedy[i] = 0;
    });
    o.onBatch?.(k + 1, batches.length);
    pending = ahead;
  }
  return E.right({ ll, greedy });
};

export const scoreTask = async (
  scorer: Scorer,
  metrics: ReadonlyArray<MetricName>,
  docs: ReadonlyArray<EvalDoc>,
  o: ScoreOptions,
): Promise<E.Either<AppError, TaskScores>> => {
  const reqs = tokenize(docs, o, contextLimit(scorer.spec).limit); // Mistral: cut to its sliding window, where it is exact
  if (E.isLeft(reqs)) return reqs;
  const r = await scoreRequests(scorer, reqs.right, o);
  if (E.isLeft(r)) return r;
  let next = 0;
  const results = docs.map((d) => {
    const at = next;
    next += d.requests.length;
    const res: DocResult = {
      loglikelihoods: Array.from(r.right.ll.subarray(at, next)),
      isGreedy: Array.from(r.right.greedy.subarray(at, next), (g) => g === 1),
    };
    return { ...res, ...scoreDoc(d, res), gold: d.gold };
  });
  return E.right({ metrics: aggregate(metrics, results), docs: results });
};
