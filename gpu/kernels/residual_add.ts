/**
 * Residual add: out = a + b, elementwise over n floats. The residual stream of every block
 * (llm.c `residual_forward`). The smallest kernel, and the toolkit's first test subject.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const residualAdd = defineKernel({
  name: "residual_add",
  bindings: [
    { name: "a", access: "read" }, // (n)
    { name: "b", access: "read" }, // (n)
    { name: "out", access: "read_write" }, // (n)
  ],
  uniforms: { n: "u32" },
  workgroupSize: 64,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.n) { return; }
  out[i] = a[i] + b[i];`,
});
