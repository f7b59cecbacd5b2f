/**
 * The linear layer's kernels: the scalar forward and backward, and the per-adapter families
 * (vec4 register tiles, lanes, workgroup tiles) that give their bits. Twins: core/ops/matmul/.
 * @module
 */
export * from "./matmul.ts";
export * from "./matmul_backward.ts";
export * from "./matmul_lanes.ts";
export * from "./matmul_strided.ts";
export * from "./matmul_tiled.ts";
export * from "./matmul_vec4.ts";
