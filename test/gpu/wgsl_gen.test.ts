/**
 * The WGSL a kernel record generates: bindings, uniform struct and entry come from the record.
 * @module
 */
import { describe, expect, test } from "vitest";
import {
  ceilDiv,
  defineFixture,
  defineKernel,
  kernelHeader,
  kernelSource,
  resolveDefines,
  uniformLayout,
  workgroupSizeOf,
} from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";

const scaled = defineFixture({
  name: "scaled_copy",
  bindings: [{ name: "src", access: "read" }, { name: "ids", access: "read", type: "i32" }, {
    name: "dst",
    access: "read_write",
  }],
  uniforms: { n: "u32", shift: "i32", alpha: "f32" },
  defines: { WG: 64, EPS: 0.5, FAST: false },
  variants: { lavapipe: { WG: 8, FAST: true } },
  workgroupSize: ({ WG }) => [WG, 1, 1],
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: "  dst[gid.x] = src[gid.x];",
}, "a fixture of the generated header");

describe("a kernel record", () => {
  test("generates its defines, its uniform struct and one binding per declared binding, in order", () => {
    expect(kernelHeader(residualAdd, {})).toBe(`// kernel residual_add (generated header)
struct Params {
  _grid_x: u32,
  _grid_y: u32,
  _grid_z: u32,
  n: u32,
}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// Linear index of a workgroup in a dispatch folded into x, y, z.
fn wg_linear_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + nwg.x * (wid.y + nwg.y * wid.z);
}`);
  });

  test("declares a vec4<f32> binding as array<vec4<f32>>", () => {
    const k = defineKernel({
      ...residualAdd,
      name: "vec4_add",
      bindings: [{ name: "a", access: "read", type: "vec4<f32>" }, {
        name: "out",
        access: "read_write",
        type: "vec4<f32>",
      }],
    });
    expect(kernelHeader(k, {})).toContain(
      "@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;\n@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;",
    );
  });

  test("lays out u32, i32 and f32 uniforms as consecutive 4-byte fields after the hidden grid", () => {
    expect(uniformLayout(scaled).map((f) => `${f.name}:${f.type}@${f.offset}`)).toEqual([
      "_grid_x:u32@0",
      "_grid_y:u32@4",
      "_grid_z:u32@8",
      "n:u32@12",
      "shift:i32@16",
      "alpha:f32@20",
    ]);
  });

  test("emits a variant's defines over the defaults, and its workgroup size in the entry", () => {
    const d = resolveDefines(scaled, "lavapipe")!;
    const src = kernelSource(scaled, d, workgroupSizeOf(scaled, d));
    expect(src).toContain("const WG = 8;\nconst EPS = 0.5;\nconst FAST = true;");
    expect(src).toContain("@group(0) @binding(1) var<storage, read> ids: array<i32>;");
    expect(src).toContain("@compute @workgroup_size(8, 1, 1)");
    expect(src).toContain("let gid = wg * vec3<u32>(8u, 1u, 1u) + lid;");
    expect(resolveDefines(scaled, "nvidia")).toBeUndefined();
  });

  test("keeps shapes out of the WGSL: one source serves every n", () => {
    const d = resolveDefines(residualAdd, "default")!;
    expect(kernelSource(residualAdd, d, workgroupSizeOf(residualAdd, d))).not.toMatch(/\b1000\b/);
  });

  test("refuses a name that is not a WGSL identifier, or one the generated code uses", () => {
    const base = { uniforms: {}, workgroupSize: 1, grid: () => [1, 1, 1] as const, wgsl: "" };
    expect(() => defineFixture({ ...base, name: "bad-name", bindings: [] }, "refused")).toThrow(
      /not a plain WGSL identifier/,
    );
    expect(() => defineFixture({ ...base, name: "k", bindings: [{ name: "gid", access: "read" }] }, "refused")).toThrow(
      /reserved/,
    );
    expect(() =>
      defineFixture(
        { ...base, name: "k", bindings: [{ name: "x", access: "read" }, { name: "x", access: "read" }] },
        "refused",
      )
    ).toThrow(/twice/);
  });
});
