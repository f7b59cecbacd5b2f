/**
 * Softmax cross-entropy, loss only: losses[row0 + n] = logsumexp(logits[n, :]) − logits[n, targets[row0 + n]],
 * one invocation per row, max subtracted first. Shapes: logits (N, V) (a chunk of rows starting at
 * row0, when all rows' logits exceed one binding), targets and losses (all rows).
 * The mean is taken on the host in index order (deterministic). CPU twin: core/ops/cross_entropy.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const crossEntropyForward = defineKernel({
  name: "cross_entropy_forward",
  bindings: [{ name: "logits", access: "read" }, { name: "targets", access: "read", type: "i32" }, { name: "losses", access: "read_write" }],
  uniforms: { N: "u32", V: "u32", row0: "u32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
  let o = n * params.V;
  var m = -3.4028234663852886e38;
  for (var v = 0u; v < params.V; v++) { m = max(m, logits[o + v]); }
  var s = 0.0;
  for (var v = 0u; v < params.V; v++) { s += exp(logits[o + v] - m); }
  losses[params.row0 + n] = log(s) + m - logits[o + u32(targets[params.row0 + n])];`,
});
