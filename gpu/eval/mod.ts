/**
 * Downstream-task scoring on the GPU: the target_scores kernel (log-probability of a target token and
 * whether it is the argmax, per query) and a Scorer over a model's recorded forward.
 * @module
 */
export * from "./scorer.ts";
export * from "./target_scores.ts";
export * from "./prefix_forward.ts";
