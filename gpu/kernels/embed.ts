/**
 * Embedding forward: out[n, c] = wte[tokens[n], c] (+ wpe[pos0 + n mod T, c] for GPT-2's learned
 * positions). Shapes: tokens (N = B·T) i32, wte (V, C), wpe (P, C), out (N, C).
 * CPU twin: core/model/forward.ts `embed` (exact: one f32 addition either way).
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const embedForward = defineKernel({
  name: "embed_forward",
  bindings: [
    { name: "tokens", access: "read", type: "i32" },
    { name: "wte", access: "read" },
    { name: "wpe", access: "read" }, // bound to any tensor when usePos = 0
    { name: "out", access: "read_write" },
  ],
  uniforms: { N: "u32", T: "u32", C: "u32", pos0: "u32", usePos: "u32", v0: "u32", vCount: "u32" },
  workgroupSize: 64,
  grid: ({ N, C }, [wx]) => [ceilDiv(N * C, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.N * params.C) { return; }
  let n = i / params.C;
  let c = i % params.C;
  let tok = u32(tokens[n]);
  if (tok < params.v0 || tok >= params.v0 + params.vCount) { return; }
  var v = wte[(tok - params.v0) * params.C + c];
  if (params.usePos != 0u) { v = v + wpe[(params.pos0 + n % params.T) * params.C + c]; }
  out[i] = v;`,
});
