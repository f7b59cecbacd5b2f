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
export { kernelHeader, kernelEntry, kernelSource, uniformLayout, type UniformField } from "./wgsl.ts";
export { foldGrid, unfoldWorkgroup, type Dispatch } from "./grid.ts";
export { createKernelCache, type CompiledKernel, type KernelCache } from "./compile.ts";
export * from "./tensor.ts";
export { rowsPerBinding, splitForBinding, type BindingSpan, type SplitRequest } from "./split.ts";
export { createBatch, type Batch, type BatchOptions, type Bindable, type BindingsFor, type KernelTime, type ReadHandle, type Readbacks, type UniformsFor } from "./batch.ts";
export { readTensors } from "./readback.ts";
export * from "./pacing.ts";
