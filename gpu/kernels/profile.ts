/**
 * Which kernel family a device gets, chosen once from the adapter by the caller (adapters/ know
 * the adapter; gpu/ is only handed the device and this choice):
 *   "cpu":   CPU adapters (lavapipe, SwiftShader): register-blocked kernels without workgroup
 *            memory, vec4 where the shapes allow (gpu/kernels/matmul/matmul_vec4.ts). Also the default.
 *   "lanes": CPU adapters whose subgroups hold a workgroup of 8 (gpu/kernels/lanes_probe.ts checks it on
 *            the device): the same tiles with A values shared by subgroupBroadcast
 *            (gpu/kernels/matmul/matmul_lanes.ts), about 1.7× the "cpu" matmul on lavapipe.
 *   "gpu":   real GPUs: workgroup-memory tiles with vec4 loads (gpu/kernels/matmul/matmul_tiled.ts).
 * All fall back to the scalar kernels where a shape is not a multiple of 4, and every output
 * sums its terms in the same index order in all of them, so the profile never changes a bit.
 * @module
 */

export type KernelProfile = "cpu" | "lanes" | "gpu";

export const KERNEL_PROFILES: readonly KernelProfile[] = ["cpu", "lanes", "gpu"];

/**
 * The profile for an adapter as adapters/devices/webgpu_info.ts reports it; `lanesOk` is what
 * gpu/kernels/lanes_probe.ts found on the device (false when it was not asked).
 */
export const profileFor = (adapter: { readonly isCpu: boolean }, lanesOk = false): KernelProfile =>
  !adapter.isCpu ? "gpu" : lanesOk ? "lanes" : "cpu";
