/**
 * Transpose of a row-major matrix: wt[i, r] = w[r, i], w (R, I) → wt (I, R). The linear forward
 * of the register-blocked kernels reads Wᵀ (gpu/kernels/matmul/matmul_vec4.ts); the trainer re-derives
 * it from W after every AdamW update, in the same batch. A copy: exact.
 * A workgroup takes 64 rows r (a lane each, so the writes run contiguous along r) and a block of
 * COLS columns i; each lane copies its row's COLS values, which sit together in one or two cache lines.
 * The grid runs over the column blocks first, so consecutive workgroups read the same 64 rows while
 * they are cached. Why: with one element per invocation and the rows innermost, every column i swept
 * all of W, one value per cache line: GPT-2's 43,688 × 768 head view read its 134 MB 768 times over
 * (4–11 s of a training step on lavapipe). 2-D grid, so not the element-wise helper's shape.
 * CPU twin: core/ops/transpose.ts.
 * @module
 */
import { transpose as cpuTranspose } from "../../core/ops/transpose.ts";
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const transpose = defineKernel({
  name: "transpose",
  bindings: [{ name: "w", access: "read" }, { name: "wt", access: "read_write" }],
  uniforms: { R: "u32", I: "u32" },
  workgroupSize: 64,
  defines: { COLS: 16 },
  grid: ({ R, I }, [wx], { COLS }) => [ceilDiv(I, COLS), ceilDiv(R, wx), 1],
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
  let r = wg.y * 64u + lid.x;
  let i0 = wg.x * COLS;
  if (r >= params.R) { return; }
  let i1 = min(i0 + COLS, params.I);
  for (var i = i0; i < i1; i++) { wt[i * params.R + r] = w[r * params.I + i]; }`,
});
