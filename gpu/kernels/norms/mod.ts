/**
 * LayerNorm and RMSNorm kernels, forward and backward. Twins: core/ops/norms/.
 * @module
 */
export * from "./norms.ts";
export * from "./norms_backward.ts";
