/**
 * Softmax cross-entropy fused with its backward, in place: each row of logits becomes its gradient
 * (softmax − onehot(target))·scale, and the row's loss is stored, so the forward loss kernel is not
 * needed in training. scale = 1/(all tokens of the step) for a mean loss. One invocation per row.
 * Shapes: logits (N, V) (a chunk of rows from row0), targets and losses (all rows).
 * CPU twin: core/ops/cross_entropy_backward.ts crossEntropyBackward.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const crossEntropyBackward = defineKernel({
  name: "cross_entropy_backward",
  bindings: [{ name: "logits", access: "read_write" }, { name: "targets", access: "read", type: "i32" }, { name: "losses", access: "read_write" }],
  uniforms: { N: "u32", V: "u32", row0: "u32", scale: "f32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
  let o = n * params.V;
  let t = u32(targets[params.row0 + n]);
  var m = -3.4028234663852886e38;
  for (var v = 0u; v < params.V; v++) { m = max(m, logits[o + v]); }
  var s = 0.0;
  for (var v = 0u; v < params.V; v++) { s += exp(logits[o + v] - m); }
  losses[params.row0 + n] = log(s) + m - logits[o + t];
  for (var v = 0u; v < params.V; v++) {
    let p = exp(logits[o + v] - m) / s;
    logits[o + v] = (p - select(0.0, 1.0, v == t)) * params.scale;
  }`,
});
