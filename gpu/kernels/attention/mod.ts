/**
 * Causal attention's kernels (forward, KV-cache path, backward q and kv; head-dim variants and
 * lanes builds). Twins: core/ops/attention/.
 * @module
 */
export * from "./attention.ts";
export * from "./attention_backward.ts";
