/**
 * The model: specs of both families, tensor names and shapes, the CPU reference forward and
 * backward, fresh weights and relayouts.
 * @module
 */
export * from "./backward.ts";
export * from "./block_backward.ts";
export * from "./features.ts";
export * from "./floats.ts";
export * from "./flops.ts";
export * from "./forward.ts";
export * from "./init.ts";
export * from "./relayout.ts";
export * from "./rotary_features.ts";
export * from "./spec.ts";
export * from "./tensors.ts";
