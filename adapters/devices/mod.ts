/**
 * Devices: getting a WebGPU device, what adapter it is and on which API, a lost device as one error,
 * the backend (GPU or CPU reference) a command computes on with the line that names it, Dawn's polling
 * spaced out, lavapipe's vector width, the system's Vulkan drivers and peers, and what `doctor` finds. The runtime shims import
 * webgpu_deno.ts or webgpu_node.ts themselves, so neither runtime loads the other's.
 * @module
 */
export * from "./adapter_line.ts";
export * from "./backend.ts";
export * from "./buffer_meter.ts";
export * from "./dawn_ticks.ts";
export * from "./device_loss.ts";
export * from "./doctor.ts";
export * from "./graphics_api.ts";
export * from "./memory_fit.ts";
export * from "./system_probe.ts";
export * from "./vector_width.ts";
export * from "./webgpu_device.ts";
export * from "./webgpu_info.ts";
