/**
 * WGSL generated from a kernel record: the defines as `const`s, the uniform struct `Params`
 * (three hidden grid sizes first, then the declared uniforms in record order, all 4-byte
 * scalars), one storage binding per declared binding in order at group 0, `params` after them,
 * and the `@compute` entry that turns the physical (possibly folded) workgroup id back into the
 * logical one before running the body.
 * Checked against both Dawn (Tint) and wgpu (naga): no `override`s, and `enable` directives only
 * in kernels that name an extension (those are compiled only where the device has the feature).
 * @module
 */
import { type AnyKernel, type Defines, type Vec3 } from "./kernel.ts";

/** Hidden uniforms: the logical grid, so a folded dispatch can decode and bounds-check. */
export const HIDDEN_UNIFORMS = ["_grid_x", "_grid_y", "_grid_z"] as const;

export interface UniformField {
  readonly name: string;
  readonly type: "u32" | "i32" | "f32";
  readonly offset: number; // bytes
}

/** Byte layout of the `Params` struct. */
export const uniformLayout = (kernel: AnyKernel): readonly UniformField[] => {
  const hidden = HIDDEN_UNIFORMS.map((name) => [name, "u32"] as const);
  const declared = Object.entries(kernel.uniforms as Record<string, "u32" | "i32" | "f32">);
  return [...hidden, ...declared].map(([name, type], i) => ({ name, type, offset: 4 * i }));
};

const literal = (v: number | boolean): string => {
  if (typeof v === "boolean") return String(v);
  if (!Number.isFinite(v)) throw new Error(`Cannot emit define ${v}: WGSL has no literal for it`);
  if (Number.isInteger(v)) return String(v);
  const s = String(v);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
};

/** Everything above the body: defines, struct, bindings, the linear-index helper, the prelude. */
export const kernelHeader = (kernel: AnyKernel, defines: Defines): string => {
  const consts = Object.entries(defines).map(([k, v]) => `const ${k} = ${literal(v)};`);
  const fields = uniformLayout(kernel).map((f) => `  ${f.name}: ${f.type},`);
  const bindings = kernel.bindings.map((b, i) => {
    const access = b.access === "read" ? "read" : "read_write";
    return `@group(0) @binding(${i}) var<storage, ${access}> ${b.name}: array<${b.type ?? "f32"}>;`;
  });
  return [
    ...(kernel.enables ?? []).map((e) => `enable ${e};`),
    `// kernel ${kernel.name} (generated header)`,
    ...consts,
    "struct Params {",
    ...fields,
    "}",
    ...bindings,
    `@group(0) @binding(${kernel.bindings.length}) var<uniform> params: Params;`,
    "",
    "// Linear index of a workgroup in a dispatch folded into x, y, z.",
    "fn wg_linear_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {",
    "  return wid.x + nwg.x * (wid.y + nwg.y * wid.z);",
    "}",
    ...(kernel.prelude === undefined ? [] : ["", kernel.prelude.trim()]),
  ].join("\n");
};

/** The kernel's body for these defines (a body may be generated from them, e.g. unrolled over a tile). */
export const kernelBody = (kernel: AnyKernel, defines: Defines): string =>
  typeof kernel.wgsl === "function" ? kernel.wgsl(defines) : kernel.wgsl;

/** The `@compute` entry: decodes the logical workgroup, skips the padding ones, runs the body. */
export const kernelEntry = (kernel: AnyKernel, [x, y, z]: Vec3, defines: Defines = kernel.defines ?? {}): string =>
  [
    `@compute @workgroup_size(${x}, ${y}, ${z})`,
    "fn main(",
    "  @builtin(workgroup_id) wid: vec3<u32>,",
    "  @builtin(num_workgroups) nwg: vec3<u32>,",
    "  @builtin(local_invocation_id) lid: vec3<u32>,",
    "  @builtin(local_invocation_index) lidx: u32,",
    ") {",
    "  let wg_linear = wg_linear_index(wid, nwg);",
    "  // Padding workgroups of a folded grid leave at once; uniform control flow, barriers stay legal.",
    "  if (wg_linear >= params._grid_x * params._grid_y * params._grid_z) { return; }",
    "  let wg = vec3<u32>(wg_linear % params._grid_x, (wg_linear / params._grid_x) % params._grid_y,",
    "                     wg_linear / (params._grid_x * params._grid_y));",
    `  let gid = wg * vec3<u32>(${x}u, ${y}u, ${z}u) + lid;`,
    kernelBody(kernel, defines).replace(/^\n+|\s+$/g, ""),
    "}",
    "",
  ].join("\n");

/** The whole shader module for a kernel compiled with the given defines. */
export const kernelSource = (kernel: AnyKernel, defines: Defines, workgroupSize: Vec3): string =>
  `${kernelHeader(kernel, defines)}\n\n${kernelEntry(kernel, workgroupSize, defines)}`;
