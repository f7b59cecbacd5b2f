/**
 * LayerNorm and RMSNorm and their backward: the twins of gpu/kernels/norms/.
 * @module
 */
export * from "./norms.ts";
export * from "./norms_backward.ts";
