/**
 * The WebGPU engine's toolkit: kernels as typed records with their CPU twins (the op table is
 * gpu/kernels/mod.ts), the element-wise helper, their compilation and cache, tensors,
 * batches of dispatches in one submit, readbacks. Everything here is handed a GPUDevice
 * (adapters/webgpu_*.ts find one) and never looks for one.
 * @module
 */
export * from "./engine/kernel.ts";
export * from "./engine/twin.ts";
export { elementwise, type ElementwiseDef, rowwise } from "./engine/elementwise.ts";
export * from "./engine/errors.ts";
export { kernelHeader, kernelEntry, kernelSource, uniformLayout, type UniformField } from "./engine/wgsl.ts";
export { foldGrid, unfoldWorkgroup, type Dispatch } from "./engine/grid.ts";
export { createKernelCache, type CompiledKernel, type KernelCache } from "./engine/compile.ts";
export * from "./engine/tensor.ts";
export { rowsPerBinding, splitForBinding, type BindingSpan, type SplitRequest } from "./engine/split.ts";
export { createBatch, type Batch, type BatchOptions, type Bindable, type BindingsFor, type KernelTime, type ReadHandle, type Readbacks, type UniformsFor } from "./engine/batch.ts";
export { KERNEL_PROFILES, type KernelProfile, profileFor } from "./engine/profile.ts";
export { probeLanes } from "./engine/lanes_probe.ts";
export { readTensors } from "./engine/readback.ts";
