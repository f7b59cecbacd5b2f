/**
 * Transpose of a row-major matrix: wt[i, r] = w[r, i], w (R, I) → wt (I, R). The linear forward
 * of the register-blocked kernels reads Wᵀ (gpu/kernels/fast/matmul_vec4.ts); the trainer re-derives
 * it from W after every AdamW update, in the same batch. A copy: exact.
 * One invocation per output element, lanes along r so the writes are contiguous.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const transpose = defineKernel({
  name: "transpose",
  bindings: [{ name: "w", access: "read" }, { name: "wt", access: "read_write" }],
  uniforms: { R: "u32", I: "u32" },
  workgroupSize: 64,
  grid: ({ R, I }, [wx]) => [ceilDiv(R, wx), I, 1],
  wgsl: /* wgsl */ `
  let r = gid.x;
  let i = wg.y;
  if (r >= params.R) { return; }
  wt[i * params.R + r] = w[r * params.I + i];`,
});
