/**
 * Linear backward (forward: y = x·Wᵀ + b, gpu/kernels/matmul/matmul.ts), deterministic without atomics:
 * every output element is owned by one invocation and sums in index order, starting at the output's
 * value where it adds to it (dW; dx when accumulating), so a sum split over dispatches (W's row views,
 * the logits' row chunks) is the same chain of additions as one dispatch's: the same bits.
 *   dx[dxRow0 + n, i] (+)= Σ_o dy[n, dyOff + o]·W[o, i]      (accumulate across W's row views)
 *   dW[o, i] += Σ_n dy[n, dyOff + o]·x[xRow0 + n, i]          (gradients accumulate over micro-batches)
 *   db[bOff + o] += Σ_n dy[n, dyOff + o]
 * Shapes: dy (N, ldy), W and dW (O, I) (a row view), x and dx (rows, I). 4×4 register tiles, for
 * any shape; I in multiples of 4 takes gpu/kernels/matmul/matmul_vec4.ts (same sums, same bits).
 * CPU twin: core/ops/matmul/matmul_backward.ts (cases and allowances: gpu/kernels/matmul/_matmul_twin.ts).
 * @module
 */
import { columns } from "../../../core/model/forward.ts";
import { linearBackward } from "../../../core/ops/matmul/matmul_backward.ts";
import { elementwise } from "../../engine/elementwise.ts";
import { ceilDiv, defineKernel } from "../../engine/kernel.ts";
import { abs, type DimValues, type Inputs, overwrite, wide } from "../../engine/twin.ts";
import { backwardWTwin, backwardXTwin } from "./_matmul_twin.ts";

export const matmulBackwardX = defineKernel({
  name: "matmul_backward_x",
  bindings: [{ name: "dy", access: "read" }, { name: "w", access: "read" }, { name: "dx", access: "read_write" }],
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", dxRow0: "u32", accumulate: "u32" },
  twin: backwardXTwin(1),
  workgroupSize: 16,
  grid: ({ N, I }, [wx]) => [ceilDiv(ceilDiv(I, 4), wx), ceilDiv(N, 4), 1],
  wgsl: /* wgsl */ `
  let i0 = gid.x * 4u;
  let n0 = wg.y * 4u;
  if (i0 >= params.I) { return; }
  var acc: array<vec4<f32>, 4>; // acc[r][k]: row n0 + r, column i0 + k; from dx when accumulating
  for (var r = 0u; r < 4u; r++) {
    for (var k = 0u; k < 4u; k++) {
      if (params.accumulate != 0u && n0 + r < params.N && i0 + k < params.I) {
        acc[r][k] = dx[(params.dxRow0 + n0 + r) * params.I + i0 + k];
      }
    }
  }
  let lastN = params.N - 1u;
  let rows = vec4<u32>(min(n0, lastN), min(n0 + 1u, lastN), min(n0 + 2u, lastN), min(n0 + 3u, lastN)) * params.ldy + params.dyOff;
  let cols = vec4<u32>(i0, min(i0 + 1u, params.I - 1u), min(i0 + 2u, params.I - 1u), min(i0 + 3u, params.I - 1u));
  for (var o = 0u; o < params.O; o++) {
    let wr = o * params.I;
    let wv = vec4<f32>(w[wr + cols.x], w[wr + cols.y], w[wr + cols.z], w[wr + cols.w]);
    acc[0] += dy[rows.x + o] * wv;
    acc[1] += dy[rows.y + o] * wv;
    acc[2] += dy[rows.z + o] * wv;
    acc[3] += dy[rows.w + o] * wv;
  }
  for (var r = 0u; r < 4u; r++) {
    let n = n0 + r;
    if (n >= params.N) { break; }
    for (var k = 0u; k < 4u; k++) {
      let i = i0 + k;
      if (i >= params.I) { break; }
      let at = (params.dxRow0 + n) * params.I + i;
      dx[at] = acc[r][k];
    }
  }`,
});

export const matmulBackwardW = defineKernel({
  name: "matmul_backward_w",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "dw", access: "read_write" }],
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", xRow0: "u32" },
  twin: backwardWTwin(1),
  workgroupSize: 16,
  grid: ({ O, I }, [wx]) => [ceilDiv(ceilDiv(I, 4), wx), ceilDiv(O, 4), 1],
  wgsl: /* wgsl */ `
  let i0 = gid.x * 4u;
  let o0 = wg.y * 4u;
  if (i0 >= params.I) { return; }
  var acc: array<vec4<f32>, 4>; // acc[r][k]: output o0 + r, input i0 + k, from dw
  for (var r = 0u; r < 4u; r++) {
    for (var k = 0u; k < 4u; k++) {
      if (o0 + r < params.O && i0 + k < params.I) { acc[r][k] = dw[(o0 + r) * params.I + i0 + k]; }
    }
  }
  let lastO = params.O - 1u;
  let os = vec4<u32>(min(o0, lastO), min(o0 + 1u, lastO), min(o0 + 2u, lastO), min(o0 + 3u, lastO)) + params.dyOff;
  let cols = vec4<u32>(i0, min(i0 + 1u, params.I - 1u), min(i0 + 2u, params.I - 1u), min(i0 + 3u, params.I - 1u));
  for (var n = 0u; n < params.N; n++) {
    let xr = (params.xRow0 + n) * params.I;
    let xv = vec4<f32>(x[xr + cols.x], x[xr + cols.y], x[xr + cols.z], x[xr + cols.w]);
    let dr = n * params.ldy;
    acc[0] += dy[dr + os.x] * xv;
    acc[1] += dy[dr + os.y] * xv;
    acc[2] += dy[dr + os.z] * xv;
    acc[3] += dy[dr + os.w] * xv;
  }
  for (var r = 0u; r < 4u; r++) {
    let o = o0 + r;
    if (o >= params.O) { break; }
    for (var k = 0u; k < 4u; k++) {
      let i = i0 + k;
      if (i >= params.I) { break; }
      let at = o * params.I + i;
      dw[at] = acc[r][k];
    }
  }`,
});

type Bias = DimValues<"N" | "O" | "off" | "pad" | "bOff">;
/** db[bOff + o] += Σ_n dy[n, dyOff + o], the rows of dy (N, ldy) from column off. */
const biasGrad = (d: Bias, a: Inputs, f: (x: ArrayLike<number>) => Float64Array) => {
  const dy = columns(f(a.f32("dy")), d.N, d.off + d.O + d.pad, d.off, d.O), db0 = f(a.f32("db"));
  const g = linearBackward(dy, new Float64Array(d.N), new Float64Array(d.O), d.N, 1, d.O).db;
  return overwrite(db0, (i) => (i < d.bOff ? undefined : db0[i]! + g[i - d.bOff]!));
};

export const biasBackward = elementwise({
  name: "bias_backward",
  bindings: [{ name: "dy", access: "read" }, { name: "db", access: "read_write" }],
  uniforms: { N: "u32", O: "u32", ldy: "u32", dyOff: "u32", bOff: "u32" },
  index: "o",
  count: ["params.O", ({ O }) => O],
  twin: {
    of: "core/ops/matmul/matmul_backward.ts linearBackward (db)",
    dims: { N: [1, 13], O: [1, 100], off: [0, 3], pad: [0, 3], bOff: [0, 3] },
    uniforms: ({ N, O, off, pad, bOff }) => ({ N, O, ldy: off + O + pad, dyOff: off, bOff }),
    inputs: {
      dy: { _tag: "f32", length: ({ N, O, off, pad }) => N * (off + O + pad) },
      db: { _tag: "f32", length: ({ O, bOff }) => bOff + O },
    },
    outputs: { db: ({ O, bOff }) => bOff + O },
    run: (d, a) => ({ db: biasGrad(d, a, wide) }),
    // the value there and N terms added in order: γ_(N+1)
    tolerance: {
      db: {
        _tag: "ulps",
        text: "(N + 2) ulps of |db| + Σ|dy|",
        ulps: ({ N }) => N + 2,
        scale: ({ d, a }) => biasGrad(d, a, abs),
      },
    },
  },
  body: /* wgsl */ `
  var s = 0.0;
  for (var n = 0u; n < params.N; n++) { s += dy[n * params.ldy + params.dyOff + o]; }
  db[params.bOff + o] = db[params.bOff + o] + s;`,
});

/**
 * db[bOff + o] += Σ_n dy[n, dyOff + o] added to db itself row by row, so a sum over row chunks (the LM head's logits,
 * one dispatch per chunk) rounds exactly as one pass over all rows does: the head bias's gradient keeps its bits
 * whatever the binding limit, as the weight gradients (which accumulate in place) do.
 */
export const biasBackwardRunning = elementwise({
  name: "bias_backward_running",
  bindings: [{ name: "dy", access: "read" }, { name: "db", access: "read_write" }],
  uniforms: { N: "u32", O: "u32", ldy: "u32", dyOff: "u32", bOff: "u32" },
  index: "o",
  count: ["params.O", ({ O }) => O],
  twin: { ...biasBackward.twin, of: "core/ops/matmul/matmul_backward.ts linearBackward (db), added in place" },
  body: /* wgsl */ `
  var s = db[params.bOff + o];
  for (var n = 0u; n < params.N; n++) { s += dy[n * params.ldy + params.dyOff + o]; }
  db[params.bOff + o] = s;`,
});
