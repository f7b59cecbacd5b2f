/**
 * Folding a logical grid of workgroups into a dispatch that fits the device.
 * WebGPU caps each dispatch dimension at `maxComputeWorkgroupsPerDimension` (65535 nearly
 * everywhere). A grid over the cap is laid out linearly and refolded into (x, y, z); the
 * generated entry (gpu/engine/wgsl.ts) turns the physical id back into the logical one with
 * `wg_linear_index` and skips the fewer than x·(z + 1) padding workgroups.
 * @module
 */
import { type Vec3 } from "./kernel.ts";

export interface Dispatch {
  /** Workgroups the kernel sees (the record's grid). */
  readonly logical: Vec3;
  /** Workgroups actually dispatched; product >= the logical product. */
  readonly physical: Vec3;
}

const product = ([x, y, z]: Vec3): number => x * y * z;

/**
 * The physical dispatch for a logical grid: the grid itself when it fits, else a fold of its
 * linear size. Throws when even the fold does not fit (more than max³ workgroups) or a count is
 * not a non-negative integer: both are broken invariants of the calling kernel.
 */
export const foldGrid = (logical: Vec3, maxPerDim: number): Dispatch => {
  if (!logical.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`Cannot dispatch grid [${logical.join(", ")}]: counts must be non-negative integers`);
  }
  if (logical.every((d) => d <= maxPerDim)) return { logical, physical: logical };
  const total = product(logical);
  if (total === 0) return { logical, physical: [0, 1, 1] };
  const x = Math.min(total, maxPerDim);
  const rest = Math.ceil(total / x); // rows of x workgroups
  const z = Math.ceil(rest / maxPerDim);
  const y = Math.ceil(rest / z); // fewest padding workgroups: < x * (z + 1)
  if (z > maxPerDim) {
    throw new Error(`Cannot dispatch grid [${logical.join(", ")}]: ${total} workgroups exceed ${maxPerDim}³`);
  }
  return { logical, physical: [x, y, z] };
};

/** CPU mirror of the WGSL decode, for tests: physical workgroup id → logical id, or null for padding. */
export const unfoldWorkgroup = (d: Dispatch, wid: Vec3): Vec3 | null => {
  const [nx, ny] = d.physical;
  const [gx, gy] = d.logical;
  const linear = wid[0] + nx * (wid[1] + ny * wid[2]);
  if (linear >= product(d.logical)) return null;
  return [linear % gx, Math.floor(linear / gx) % gy, Math.floor(linear / (gx * gy))];
};
