/**
 * The CPU twins of the kernels, written from the math (never from the WGSL), one file per
 * kernel stem: gpu/kernels/X.ts ↔ core/ops/X.ts. They run in the precision of the arrays they
 * are given (f32 for models, float64 for finite differences and tolerances).
 * @module
 */
export * from "./activations.ts";
export * from "./activations_backward.ts";
export * from "./adamw.ts";
export * from "./cross_entropy.ts";
export * from "./cross_entropy_backward.ts";
export * from "./distill.ts";
export * from "./embed.ts";
export * from "./embed_backward.ts";
export * from "./erf.ts";
export * from "./kv_append.ts";
export * from "./lanes_probe.ts";
export * from "./residual_add.ts";
export * from "./rope.ts";
export * from "./transpose.ts";
export * from "./matmul/mod.ts";
export * from "./attention/mod.ts";
export * from "./norms/mod.ts";
