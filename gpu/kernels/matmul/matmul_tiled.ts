/**
 * Linear forward with workgroup-memory tiles, for real GPUs (the "gpu" profile of gpu/kernels/profile.ts):
 *   y[n, yOff + o] = Σ_i x[xRow0 + n, i]·Wᵀ[i, o] (+ b[bOff + o]) (+ res[n, yOff + o])
 * Shapes as gpu/kernels/matmul/matmul_vec4.ts: x (rows, I), Wᵀ (I, O) (gpu/kernels/transpose.ts), y and
 * res (N, ldy). A 16 × 16 workgroup computes a 64-row × 64-column block of y; per step of BK
 * inputs it stages a (BK × 64) slice of x and a (BK × 64) slice of Wᵀ (as vec4) in workgroup
 * memory, and each invocation accumulates a 4-row × vec4 tile from them. Each output still sums
 * its I products in index order, so this kernel gives the bits of the register-blocked and
 * scalar ones. Needs O, ldy, yOff, bOff divisible by 4. CPU twin: core/ops/matmul/matmul.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../../engine/kernel.ts";
import { forwardOnWt } from "./matmul_vec4.ts";

/** The block's sums: acc[r] holds rows row0 + r of vec4 column col (a WGSL prefix; the store follows). */
export const tiledForwardSums = /* wgsl */ `
  let O4 = params.O / 4u;
  let col = wg.x * 16u + lid.x;     // this invocation's vec4 column
  let row0 = wg.y * 64u + lid.y * 4u; // and its first of 4 rows
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.I; k0 += BK) {
    let kn = min(BK, params.I - k0);
    for (var j = 0u; j < 4u; j++) {
      let e = lidx + 256u * j;
      let r = e / BK;
      let kk = e % BK;
      xs[kk][r] = x[(params.xRow0 + min(wg.y * 64u + r, params.N - 1u)) * params.I + min(k0 + kk, params.I - 1u)];
    }
    ws[lidx / 16u][lidx % 16u] = wt[min(k0 + lidx / 16u, params.I - 1u) * O4 + min(wg.x * 16u + lidx % 16u, O4 - 1u)];
    workgroupBarrier();
    for (var kk = 0u; kk < kn; kk++) {
      let bv = ws[kk][lid.x];
      for (var r = 0u; r < 4u; r++) { acc[r] += xs[kk][lid.y * 4u + r] * bv; }
    }
    workgroupBarrier();
  }
`;

/** The workgroup tiles of x and Wᵀ, staged once per BK inputs. */
export const TILED_PRELUDE = /* wgsl */ `
var<workgroup> xs: array<array<f32, 64>, BK>;       // xs[k][row]
var<workgroup> ws: array<array<vec4<f32>, 16>, BK>; // ws[k][vec4 column]`;

/** The tiled forward's workgroups, BK deep: x blocks of 16 vec4 columns, y blocks of 64 rows (the strided variant's too). */
export const TILED_WORKGROUPS = {
  defines: { BK: 16 },
  workgroupSize: [16, 16, 1],
  grid: ({ N, O }: { N: number; O: number }) => [ceilDiv(O / 4, 16), ceilDiv(N, 64), 1] as const,
  prelude: TILED_PRELUDE,
} as const;

export const matmulForwardTiled = defineKernel({
  name: "matmul_forward_tiled",
  // The same bindings, uniforms and twin as every fast forward on Wᵀ; its own grid (BK-deep workgroup tiles).
  bindings: forwardOnWt.bindings,
  uniforms: forwardOnWt.uniforms,
  twin: forwardOnWt.twin,
  ...TILED_WORKGROUPS,
  wgsl: /* wgsl */ `${tiledForwardSums}
  if (col >= O4) { return; }
  for (var r = 0u; r < 4u; r++) {
    let n = row0 + r;
    if (n >= params.N) { break; }
    var v = acc[r];
    if (params.useBias != 0u) { v += b[params.bOff / 4u + col]; }
    let at = (n * params.ldy + params.yOff) / 4u + col;
    if (params.useRes != 0u) { v += res[at]; }
    y[at] = v;
  }`,
});
