/**
 * Embedding backward without atomics. The host knows the tokens, so it groups the rows by token
 * (uniq: the distinct tokens; start: where each one's rows begin in `rows`, sorted ascending), and
 * one invocation per (distinct token, column) sums its rows in order:
 *   dwte[tok, c] += Σ_{n: tokens[n] = tok} dx[n, c]   (a view of rows v0 .. v0 + vCount of dwte)
 * Learned positions (GPT-2): dwpe[t, c] += Σ_b dx[b·T + t, c], one invocation per (t, c).
 * CPU twins: core/ops/embed_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const embedBackward = defineKernel({
  name: "embed_backward",
  bindings: [
    { name: "dx", access: "read" }, { name: "uniq", access: "read", type: "i32" }, { name: "start", access: "read", type: "i32" },
    { name: "rows", access: "read", type: "i32" }, { name: "dwte", access: "read_write" },
  ],
  uniforms: { U: "u32", C: "u32", v0: "u32", vCount: "u32" },
  workgroupSize: 64,
  grid: ({ U, C }, [wx]) => [ceilDiv(U * C, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.U * params.C) { return; }
  let u = i / params.C;
  let c = i % params.C;
  let tok = u32(uniq[u]);
  if (tok < params.v0 || tok >= params.v0 + params.vCount) { return; }
  var s = 0.0;
  for (var k = u32(start[u]); k < u32(start[u + 1u]); k++) { s += dx[u32(rows[k]) * params.C + c]; }
  let at = (tok - params.v0) * params.C + c;
  dwte[at] = dwte[at] + s;`,
});

export const positionBackward = defineKernel({
  name: "position_backward",
  bindings: [{ name: "dx", access: "read" }, { name: "dwpe", access: "read_write" }],
  uniforms: { B: "u32", T: "u32", C: "u32" },
  workgroupSize: 64,
  grid: ({ T, C }, [wx]) => [ceilDiv(T * C, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.T * params.C) { return; }
  var s = 0.0;
  for (var b = 0u; b < params.B; b++) { s += dx[b * params.T * params.C + i]; }
  dwpe[i] = dwpe[i] + s;`,
});
