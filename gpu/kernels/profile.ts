/**
 * Which kernel family a device gets, chosen once from the adapter by the caller (adapters/ know
 * the adapter; gpu/ is only handed the device and this choice):
 *   "cpu":   CPU adapters (lavapipe, SwiftShader): register-blocked kernels without workgroup
 *            memory, vec4 where the shapes allow (gpu/kernels/matmul/matmul_vec4.ts). Also the default.
 *   "lanes": CPU adapters whose subgroups hold a workgroup of 8 (gpu/kernels/lanes_probe.ts checks it on
 *            the device): the same tiles with A values shared by subgroupBroadcast
 *            (gpu/kernels/matmul/matmul_lanes.ts), about 1.7× the "cpu" matmul on lavapipe.
 *   "lanes16": CPU adapters whose subgroups also hold a workgroup of 16 (lavapipe at 512-bit vectors): the lanes
 *            kernels, with the linear ones 16 lanes wide on 32 × 8 tiles (1.5× the 8-lane matmul there).
 *   "gpu":   real GPUs: workgroup-memory tiles with vec4 loads (gpu/kernels/matmul/matmul_tiled.ts).
 * All fall back to the scalar kernels where a shape is not a multiple of 4, and every output
 * sums its terms in the same index order in all of them, so the profile never changes a bit.
 * @module
 */

export type KernelProfile = "cpu" | "lanes" | "lanes16" | "gpu";

/**
 * The families every whole-model property runs on lavapipe (props/gpu/, describe.each). "lanes16" is left out: its
 * linear kernels need subgroups of 16, which lavapipe has only at 512-bit vectors; at 256 bits a workgroup of 16
 * spans two subgroups, and broadcasting across them gave right answers in one probe run and wrong gradients in a
 * later suite run. Its kernels' properties (props/gpu/kernels/) run where the probe gives 16, and the whole-model
 * ones add it when the run gives lavapipe 512-bit vectors (test/gpu/_device.ts MODEL_PROFILES).
 */
export const KERNEL_PROFILES: readonly KernelProfile[] = ["cpu", "lanes", "gpu"];

/** Every family, for `bench --profile`. */
export const ALL_PROFILES: readonly KernelProfile[] = ["cpu", "lanes", "lanes16", "gpu"];

/**
 * The profile for an adapter as adapters/devices/webgpu_info.ts reports it; `lanes` is the widest workgroup whose
 * subgroup broadcasts gpu/kernels/lanes_probe.ts found to work on the device (0: none, or not asked).
 */
export const profileFor = (adapter: { readonly isCpu: boolean }, lanes = 0): KernelProfile =>
  !adapter.isCpu ? "gpu" : lanes >= 16 ? "lanes16" : lanes >= 8 ? "lanes" : "cpu";

/** The lanes a profile's kernels need in one subgroup (0: none): what profileFor picks it from. */
export const lanesOf = (p: KernelProfile): number => ({ cpu: 0, lanes: 8, lanes16: 16, gpu: 0 })[p];

/** Whether a profile uses the subgroup-sharing builds (attention's "lanes" build, at 8 lanes in both). */
export const sharesLanes = (p: KernelProfile): boolean => lanesOf(p) > 0;
