/**
 * The WebGPU engine's toolkit: kernels as typed records, their compilation and cache, tensors,
 * batches of dispatches in one submit, readbacks. Everything here is handed a GPUDevice
 * (adapters/devices/ finds one) and never looks for one.
 * @module
 */
export * from "./kernel.ts";
export * from "./twin.ts";
export { elementwise, type ElementwiseDef, rowwise } from "./elementwise.ts";
export * from "./errors.ts";
export { kernelEntry, kernelHeader, kernelSource, type UniformField, uniformLayout } from "./wgsl.ts";
export { type Dispatch, foldGrid, unfoldWorkgroup } from "./grid.ts";
export { type CompiledKernel, createKernelCache, type KernelCache } from "./compile.ts";
export * from "./tensor.ts";
export * from "./split.ts";
export {
  type Batch,
  type BatchOptions,
  type Bindable,
  type BindingsFor,
  createBatch,
  type KernelTime,
  type Readbacks,
  type ReadHandle,
  type UniformsFor,
} from "./batch.ts";
export { readTensors } from "./readback.ts";
export * from "./pacing.ts";
