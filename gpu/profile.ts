/**
 * Which kernel family a device gets, chosen once from the adapter by the caller (adapters/ know
 * the adapter; gpu/ is only handed the device and this choice):
 *   "cpu": CPU adapters (lavapipe, SwiftShader): register-blocked kernels without workgroup
 *          memory, vec4 where the shapes allow (gpu/kernels/matmul_vec4.ts). Also the default.
 *   "gpu": real GPUs: workgroup-memory tiles with vec4 loads (gpu/kernels/matmul_tiled.ts).
 * Both fall back to the scalar kernels where a shape is not a multiple of 4, and every output
 * sums its terms in the same index order in all of them, so the profile never changes a bit.
 * @module
 */

export type KernelProfile = "cpu" | "gpu";

export const KERNEL_PROFILES: readonly KernelProfile[] = ["cpu", "gpu"];

/** The profile for an adapter as adapters/webgpu_info.ts reports it. */
export const profileFor = (adapter: { readonly isCpu: boolean }): KernelProfile => (adapter.isCpu ? "cpu" : "gpu");
