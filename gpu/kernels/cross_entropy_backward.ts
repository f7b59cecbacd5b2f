/**
 * Softmax cross-entropy fused with its backward, in place: each row of logits becomes its gradient
 * (softmax − onehot(target))·scale, and the row's loss is stored, so the forward loss kernel is not
 * needed in training. scale = 1/(all tokens of the step) for a mean loss. One invocation per row.
 * Shapes: logits (N, V) (a chunk of rows from row0), targets and losses (all rows).
 * CPU twin: core/ops/cross_entropy_backward.ts crossEntropyBackward.
 * @module
 */
import { crossEntropyBackward as cpuCrossEntropyBackward } from "../../core/ops/cross_entropy_backward.ts";
import { softmaxRow } from "../../core/ops/cross_entropy.ts";
import { rowwise } from "../engine/elementwise.ts";
import { wide } from "../engine/twin.ts";
import { chunkLosses, lossRows, lossTolerance } from "./cross_entropy.ts";

const meanScale = (N: number, row0: number) => Math.fround(1 / (row0 + N));

export const crossEntropyBackward = rowwise({
  name: "cross_entropy_backward",
  bindings: [{ name: "logits", access: "read_write" }, { name: "targets", access: "read", type: "i32" }, {
    name: "losses",
    access: "read_write",
  }],
  uniforms: { N: "u32", V: "u32", row0: "u32", scale: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/cross_entropy_backward.ts crossEntropyBackward",
    ...lossRows,
    uniforms: ({ N, V, row0 }) => ({ N, V, row0, scale: meanScale(N, row0) }),
    outputs: { logits: ({ N, V }) => N * V, losses: ({ N, row0 }) => row0 + N },
    run: ({ N, V, row0 }, a) => ({
      logits: cpuCrossEntropyBackward(wide(a.f32("logits")), a.i32("targets").subarray(row0), N, V, meanScale(N, row0)),
      losses: chunkLosses(a, N, V, row0),
    }),
    tolerance: {
      // p = exp(z − m)/s: z − m rounds to an absolute error of its size (≤ 2·max|z|), which exp turns
      // relative; s sums V terms (γ_V). So p within (V + 8) ulps of p·(1 + 4·max|z|); the onehot is exact
      logits: {
        _tag: "ulps",
        text: "(V + 8) ulps of scale·(p·(1 + 4·max|z|) + onehot)",
        ulps: ({ V }) => V + 8,
        scale: ({ d: { N, V, row0 }, a }) => {
          const z = a.f32("logits"), t = a.i32("targets"), sc = meanScale(N, row0);
          return Float64Array.from(z, (_, i) => {
            const n = Math.floor(i / V), row = z.subarray(n * V, (n + 1) * V), p = softmaxRow(row, 0, V)[i % V]!;
            return sc *
              (p * (1 + 4 * row.reduce((m, x) => Math.max(m, Math.abs(x)), 0)) + (t[row0 + n] === i % V ? 1 : 0));
          });
        },
      },
      losses: lossTolerance,
    },
  },
  body: /* wgsl */ `
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
