/**
 * LayerNorm and RMSNorm (plain, Gemma's 1 + w, Qwen3's per head) and their backward: the twins of gpu/kernels/norms/.
 * @module
 */
export * from "./norms.ts";
export * from "./norms_backward.ts";
export * from "./rms_offset.ts";
export * from "./head_norm.ts";
