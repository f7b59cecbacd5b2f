/**
 * Linear forward: y[n, yOff + o] = Σ_i x[xRow0 + n, i]·W[o, i] (+ b[bOff + o]) (+ res[n, yOff + o]).
 * Shapes: x (N, I), W (O, I) row-major as torch Linear, b (O), y and res (N, ldy) with ldy ≥ yOff + O,
 * so a weight split into row chunks (a vocabulary over the binding limit) writes its own columns.
 * The scalar kernel for any shape: each invocation keeps a 4×4 tile of y in registers and reads
 * W as stored. Shapes in multiples of 4 take the profile's faster kernel on Wᵀ instead
 * (gpu/kernels/matmul/matmul_vec4.ts, matmul_tiled.ts; gpu/model/record_forward.ts recordLinear picks), which
 * sums in the same order and so gives the same bits.
 * Each output sums its I products in index order: deterministic, error ≤ ~I ulps of Σ|x·W|.
 * CPU twin: core/ops/matmul/matmul.ts (cases and allowance: gpu/kernels/matmul/_matmul_twin.ts).
 * @module
 */
import { ceilDiv, defineKernel } from "../../engine/kernel.ts";
import { forwardTwin } from "./_matmul_twin.ts";

/**
 * The uniforms of every linear forward, whatever its family (matmul_vec4, _lanes, _tiled take the
 * same), so gpu/model/record_forward.ts dispatches them all with one record: y (N, O) at row
 * stride ldy and column yOff, bias from bOff, the residual added when useRes, x from row xRow0.
 */
export const FORWARD_UNIFORMS = {
  N: "u32",
  I: "u32",
  O: "u32",
  ldy: "u32",
  yOff: "u32",
  bOff: "u32",
  useBias: "u32",
  useRes: "u32",
  xRow0: "u32",
} as const;

export const matmulForward = defineKernel({
  name: "matmul_forward",
  bindings: [
    { name: "x", access: "read" },
    { name: "w", access: "read" },
    { name: "b", access: "read" },
    { name: "res", access: "read" },
    { name: "y", access: "read_write" },
  ],
  uniforms: FORWARD_UNIFORMS,
  twin: forwardTwin("w", 1),
  workgroupSize: 16,
  // x: tiles of 4 outputs, y: tiles of 4 rows
  grid: ({ N, O }, [wx]) => [ceilDiv(ceilDiv(O, 4), wx), ceilDiv(N, 4), 1],
  wgsl: /* wgsl */ `
  let o0 = gid.x * 4u;
  let n0 = wg.y * 4u;
  if (o0 >= params.O) { return; }
  var acc: array<vec4<f32>, 4>; // acc[r][k]: row n0 + r, output o0 + k
  let lastN = params.N - 1u;
  let lastO = params.O - 1u;
  let xr = (vec4<u32>(min(n0, lastN), min(n0 + 1u, lastN), min(n0 + 2u, lastN), min(n0 + 3u, lastN)) + params.xRow0) * params.I;
  let wr = vec4<u32>(min(o0, lastO), min(o0 + 1u, lastO), min(o0 + 2u, lastO), min(o0 + 3u, lastO)) * params.I;
  for (var i = 0u; i < params.I; i++) {
    let wv = vec4<f32>(w[wr.x + i], w[wr.y + i], w[wr.z + i], w[wr.w + i]);
    acc[0] += x[xr.x + i] * wv;
    acc[1] += x[xr.y + i] * wv;
    acc[2] += x[xr.z + i] * wv;
    acc[3] += x[xr.w + i] * wv;
  }
  for (var r = 0u; r < 4u; r++) {
    let n = n0 + r;
    if (n >= params.N) { break; }
    for (var k = 0u; k < 4u; k++) {
      let o = o0 + k;
      if (o >= params.O) { break; }
      var v = acc[r][k];
      if (params.useBias != 0u) { v += b[params.bOff + o]; }
      let at = n * params.ldy + params.yOff + o;
      if (params.useRes != 0u) { v += res[at]; }
      y[at] = v;
    }
  }`,
});
