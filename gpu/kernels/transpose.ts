/**
 * Transpose of a row-major matrix: wt[i, r] = w[r, i], w (R, I) → wt (I, R). The linear forward
 * of the register-blocked kernels reads Wᵀ (gpu/kernels/matmul/matmul_vec4.ts); the trainer re-derives
 * it from W after every AdamW update, in the same batch. A copy: exact.
 * One invocation per output element, lanes along r so the writes are contiguous: a 2-D grid,
 * so not the element-wise helper's shape. CPU twin: core/ops/transpose.ts.
 * @module
 */
import { transpose as cpuTranspose } from "../../core/ops/transpose.ts";
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const transpose = defineKernel({
  name: "transpose",
  bindings: [{ name: "w", access: "read" }, { name: "wt", access: "read_write" }],
  uniforms: { R: "u32", I: "u32" },
  workgroupSize: 64,
  grid: ({ R, I }, [wx]) => [ceilDiv(R, wx), I, 1],
  twin: {
    of: "core/ops/transpose.ts transpose",
    dims: { R: [1, 150], I: [1, 20] },
    uniforms: ({ R, I }) => ({ R, I }),
    inputs: { w: { _tag: "f32", length: ({ R, I }) => R * I } },
    outputs: { wt: ({ R, I }) => R * I },
    run: ({ R, I }, a) => ({ wt: cpuTranspose(a.f32("w"), R, I) }),
    tolerance: { wt: { _tag: "exact" } },
  },
  wgsl: /* wgsl */ `
  let r = gid.x;
  let i = wg.y;
  if (r >= params.R) { return; }
  wt[i * params.R + r] = w[r * params.I + i];`,
});
