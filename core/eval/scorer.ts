/**
 * What scoring requests needs from a backend: one packed batch (core/eval/pack.ts) in, each query's
 * log-probability of its target and whether the target was the argmax out (a few numbers per
 * continuation token, never vocabulary-sized logits). The CPU reference here runs the plain forward
 * (core/model/forward.ts, f32 like the weights) on the live rows and the twin of the GPU's scoring
 * kernel on its logits; gpu/eval/scorer.ts runs the same on the device.
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

export interface Scorer {
  readonly spec: ModelSpec;
  score(b: Pick<PackedBatch, "B" | "T" | "live" | "tokens" | "queries">): TE.TaskEither<AppError, QueryScores>;
  destroy(): void;
}

export const createCpuScorer = (spec: ModelSpec, weights: Weights): Scorer => ({
  spec,
  score: (b) => async () => {
    // Padding rows hold no query: only the live ones are run (queries index the flat B·T positions).
    const { logits } = forward(spec, weights, b.tokens.subarray(0, b.live * b.T), b.live, b.T);
    return E.right(targetScores(logits, b.queries, 0, 0, b.queries.length / 2, spec.vocabSize));
  },
  destroy: () => undefined,
});
