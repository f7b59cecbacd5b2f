/**
 * Measuring a model's blocks on held-out text (attention rank, influence, early exit).
 * @module
 */
export * from "./attention_rank.ts";
export * from "./measure.ts";
