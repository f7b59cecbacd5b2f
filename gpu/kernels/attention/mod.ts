/**
 * Causal attention's kernels (forward, KV-cache path, backward q and kv, the probabilities the rank
 * measure reads; head-dim variants and lanes builds). Twins: core/ops/attention/.
 * @module
 */
export * from "./attention.ts";
export * from "./attention_backward.ts";
export * from "./attention_probs.ts";
