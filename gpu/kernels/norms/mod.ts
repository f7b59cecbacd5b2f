/**
 * LayerNorm and RMSNorm kernels (plain, Gemma's 1 + w, Qwen3's per head), forward and backward. Twins: core/ops/norms/.
 * @module
 */
export * from "./head_norm.ts";
export * from "./norms.ts";
export * from "./norms_backward.ts";
