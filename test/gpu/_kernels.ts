/**
 * Test kernels shared by the vitest files (Dawn) and the Deno smoke (wgpu/naga), so the same
 * WGSL shapes pass both compilers: defines and variants, a workgroup array sized by a define,
 * barriers after the generated early return, i32/u32 bindings.
 * @module
 */
import { ceilDiv, defineFixture } from "../../gpu/mod.ts";

/** out = a * b; the "tiny" variant runs one invocation per workgroup, so big grids are cheap. */
export const mul = defineFixture({
  name: "test_mul",
  bindings: [{ name: "a", access: "read" }, { name: "b", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  defines: { WG: 64 },
  variants: { tiny: { WG: 1 } },
  workgroupSize: ({ WG }) => WG,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `  if (gid.x < params.n) { out[gid.x] = a[gid.x] * b[gid.x]; }`,
}, "a toolkit fixture (variants, folded grids): its twin is written out in elementwise.test.ts");

/** out[w] = sum of inp[w·WG .. w·WG + WG), by a fixed pairwise tree (deterministic). */
export const blockSum = defineFixture({
  name: "test_block_sum",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  defines: { WG: 64 },
  variants: { small: { WG: 8 } },
  workgroupSize: ({ WG }) => WG,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  prelude: /* wgsl */ `var<workgroup> scratch: array<f32, WG>;`,
  wgsl: /* wgsl */ `
  scratch[lidx] = select(0.0, inp[gid.x], gid.x < params.n);
  workgroupBarrier();
  for (var stride = u32(WG) / 2u; stride > 0u; stride = stride / 2u) {
    if (lidx < stride) { scratch[lidx] = scratch[lidx] + scratch[lidx + stride]; }
    workgroupBarrier();
  }
  if (lidx == 0u) { out[wg.x] = scratch[0]; }`,
}, "a toolkit fixture (workgroup memory, barriers): its twin is blockSumTwin below");

/** CPU twin of blockSum, written from its definition: the same pairwise tree, in f32. */
export const blockSumTwin = (inp: Float32Array, wg: number): Float32Array => {
  const out = new Float32Array(Math.ceil(inp.length / wg));
  for (let w = 0; w < out.length; w++) {
    const s = Float32Array.from({ length: wg }, (_, i) => inp[w * wg + i] ?? 0);
    for (let stride = wg >> 1; stride > 0; stride >>= 1) for (let i = 0; i < stride; i++) s[i] = s[i]! + s[i + stride]!;
    out[w] = s[0]!;
  }
  return out;
};
