/**
 * Residual add: out = a + b, elementwise over n floats. The residual stream of every block
 * (llm.c `residual_forward`). The smallest kernel, and the toolkit's first test subject.
 * CPU twin: core/ops/residual_add.ts (one f32 addition either way: exact).
 * @module
 */
import { add } from "../../core/ops/residual_add.ts";
import { elementwise } from "../engine/elementwise.ts";

export const residualAdd = elementwise({
  name: "residual_add",
  bindings: [
    { name: "a", access: "read" }, // (n)
    { name: "b", access: "read" }, // (n)
    { name: "out", access: "read_write" }, // (n)
  ],
  uniforms: { n: "u32" },
  count: ["params.n", ({ n }) => n],
  twin: {
    of: "core/ops/residual_add.ts add",
    dims: { n: [1, 3000] },
    uniforms: ({ n }) => ({ n }),
    inputs: { a: { _tag: "f32", length: ({ n }) => n }, b: { _tag: "f32", length: ({ n }) => n } },
    outputs: { out: ({ n }) => n },
    run: (_, a) => ({ out: add(a.f32("a"), a.f32("b")) }),
    tolerance: { out: { _tag: "exact" } },
  },
  body: /* wgsl */ `
  out[i] = a[i] + b[i];`,
});
