/**
 * Devices: getting a WebGPU device, what adapter it is, a lost device as one error, and the backend
 * (GPU or CPU reference) a command computes on. The runtime shims import webgpu_deno.ts or
 * webgpu_node.ts themselves, so neither runtime loads the other's.
 * @module
 */
export * from "./backend.ts";
export * from "./buffer_meter.ts";
export * from "./device_loss.ts";
export * from "./memory_fit.ts";
export * from "./webgpu_device.ts";
export * from "./webgpu_info.ts";
