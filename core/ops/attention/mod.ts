/**
 * Causal attention and its backward: the twins of gpu/kernels/attention/.
 * @module
 */
export * from "./attention.ts";
export * from "./attention_backward.ts";
export * from "./attention_probs.ts";
