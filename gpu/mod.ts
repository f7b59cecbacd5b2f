/**
 * The GPU layer's front door. Everything in gpu/ is handed a GPUDevice (adapters/devices/ finds
 * one) and never looks for one:
 * - engine/: kernels as typed records with their CPU twins, the element-wise helper, their compilation and cache, tensors, batches of dispatches
 *   in one submit, readbacks, the kernel family of a device;
 * - kernels/: the WGSL kernels, each beside the name of its CPU twin in core/ops/;
 * - model/: a model on the GPU (weights, the recorded forward, KV-cache decoding);
 * - train/: the GPU trainer (the recorded backward, clipping and AdamW).
 * @module
 */
export * from "./engine/mod.ts";
export * from "./kernels/mod.ts";
export * from "./model/mod.ts";
export * from "./train/mod.ts";
