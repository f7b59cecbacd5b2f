/**
 * Downstream-task scoring on the GPU: the target_scores kernel (log-probability of a target token and
 * whether it is the argmax, per query), the packed forward (many documents per pass, no KV cache) and a
 * Scorer over it.
 * @module
 */
export * from "./packed_forward.ts";
export * from "./scorer.ts";
export * from "./target_scores.ts";
