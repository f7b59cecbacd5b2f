/**
 * Packing a dispatch's uniforms into the bytes of its `Params` struct (layout: gpu/engine/wgsl.ts).
 * Values are checked here, since a wrong u32 would silently wrap on the GPU.
 * @module
 */
import { type AnyKernel, type Vec3 } from "./kernel.ts";
import { type UniformField, uniformLayout } from "./wgsl.ts";

const inRange = (f: UniformField, v: number): boolean =>
  f.type === "f32"
    ? typeof v === "number"
    : f.type === "u32"
    ? Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff
    : Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff;

/** Bytes of `Params` (before padding to the offset alignment). */
export const uniformBytes = (kernel: AnyKernel): number => 4 * uniformLayout(kernel).length;

/** Writes the hidden logical grid and the declared uniforms at `base` in `view`. Throws on a bad value. */
export const packUniforms = (
  view: DataView,
  base: number,
  kernel: AnyKernel,
  grid: Vec3,
  values: Readonly<Record<string, number>>,
): void => {
  const all: Record<string, number> = { ...values, _grid_x: grid[0], _grid_y: grid[1], _grid_z: grid[2] };
  for (const f of uniformLayout(kernel)) {
    const v = all[f.name];
    if (v === undefined || !inRange(f, v)) {
      throw new Error(`Cannot dispatch ${kernel.name}: uniform ${f.name} = ${v} is not a valid ${f.type}`);
    }
    if (f.type === "f32") view.setFloat32(base + f.offset, v, true);
    else if (f.type === "u32") view.setUint32(base + f.offset, v, true);
    else view.setInt32(base + f.offset, v, true);
  }
};
