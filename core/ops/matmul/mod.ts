/**
 * The linear layer y = x·Wᵀ + b and its backward: the twins of gpu/kernels/matmul/.
 * @module
 */
export * from "./matmul.ts";
export * from "./matmul_backward.ts";
