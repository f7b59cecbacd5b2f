/**
 * What scoring requests needs from a backend: one packed batch (core/eval/pack.ts) in, each query's
 * log-probability of its target and whether the target was the argmax out (a few numbers per
 * continuation token, never vocabulary-sized logits). The CPU reference here runs the plain forward
 * (core/model/forward.ts, f32 like the weights) of each row's whole sequence, its group's prefix and
 * the row, and the twin of the GPU's scoring kernel on the row's logits; gpu/eval/scorer.ts reads many
 * groups per pass, each prefix once before its rows (core/eval/packed_layout.ts), with the same bits.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { AppError } from "../errors.ts";
import { forward } from "../model/forward.ts";
import type { ModelSpec } from "../model/spec.ts";
import type { Weights } from "../model/tensors.ts";
import type { PackedBatch } from "./pack.ts";
import { targetScores } from "./target_scores.ts";

export interface QueryScores {
  readonly logp: ArrayLike<number>; // (Q)
  readonly greedy: ArrayLike<number>; // (Q) 0 | 1
}

/** A backend's scoring. score may take the next batch before an earlier one's scores are awaited. */
export interface Scorer {
  readonly spec: ModelSpec;
  score(b: Pick<PackedBatch, "groups" | "queries" | "rowStart">): TE.TaskEither<AppError, QueryScores>;
  destroy(): void;
}

/** A row's whole sequence: its group's prefix, then the row. */
export const wholeRow = (prefix: Int32Array, row: Int32Array): Int32Array => {
  const seq = new Int32Array(prefix.length + row.length);
  seq.set(prefix);
  seq.set(row, prefix.length);
  return seq;
};

export const createCpuScorer = (spec: ModelSpec, weights: Weights): Scorer => ({
  spec,
  score: (b) => async () => {
    const Q = b.queries.length / 2, V = spec.vocabSize;
    const logp = new Float64Array(Q), greedy = new Int32Array(Q);
    let r = 0;
    for (const g of b.groups) {
      for (const row of g.rows) {
        const q0 = b.rowStart[r]!, q1 = b.rowStart[r + 1]!, seq = wholeRow(g.prefix, row);
        const s = targetScores(forward(spec, weights, seq, 1, seq.length).logits, b.queries, 0, q0, q1 - q0, V);
        logp.set(s.logp, q0);
        greedy.set(s.greedy, q0);
        r++;
      }
    }
    return E.right({ logp, greedy });
  },
  destroy: () => undefined,
});
