/**
 * Softmax cross-entropy, loss only: losses[row0 + n] = logsumexp(logits[n, :]) − logits[n, targets[row0 + n]],
 * one invocation per row, max subtracted first. Shapes: logits (N, V) (a chunk of rows starting at
 * row0, when all rows' logits exceed one binding), targets and losses (all rows).
 * The mean is taken on the host in index order (deterministic). CPU twin: core/ops/cross_entropy.ts.
 * @module
 */
import { crossEntropyRows } from "../../core/ops/cross_entropy.ts";
import { rowwise } from "../engine/elementwise.ts";
import { type Inputs, overwrite, wide } from "../engine/twin.ts";

/** Dims of a chunk of N rows of V logits from row row0, and its arrays (logits within ±20). */
export const lossRows = {
  dims: { N: [1, 9], V: [1, 300], row0: [0, 3] },
  inputs: {
    logits: { _tag: "f32", length: ({ N, V }: { N: number; V: number }) => N * V, min: -20, max: 20 },
    targets: {
      _tag: "i32",
      length: ({ N, row0 }: { N: number; row0: number }) => row0 + N,
      min: () => 0,
      max: ({ V }: { V: number }) => V - 1,
    },
  },
} as const;

/** The losses binding after the chunk: rows row0 .. row0 + N from the twin, the others as found. */
export const chunkLosses = (a: Inputs, N: number, V: number, row0: number) => {
  const rows = crossEntropyRows(wide(a.f32("logits")), a.i32("targets").subarray(row0), N, V);
  return overwrite(a.f32("losses"), (i) => (i >= row0 ? rows[i - row0] : undefined));
};

/** Each loss's allowance: V exps summed (γ_V), a log and two subtractions, of |loss| + the row's largest |logit|. */
export const lossTolerance = {
  _tag: "ulps",
  text: "(V + 8) ulps of |loss| + the row's largest |logit|",
  ulps: ({ V }: { V: number }) => V + 8,
  scale: (
    { d: { V, row0 }, a, want }: { d: { V: number; row0: number }; a: Inputs; want: (n: string) => ArrayLike<number> },
  ) =>
    Float64Array.from(want("losses"), (w, i) => {
      const row = a.f32("logits").subarray((i - row0) * V, (i - row0 + 1) * V);
      return i < row0 ? 0 : Math.abs(w) + row.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    }),
} as const;

export const crossEntropyForward = rowwise({
  name: "cross_entropy_forward",
  bindings: [{ name: "logits", access: "read" }, { name: "targets", access: "read", type: "i32" }, {
    name: "losses",
    access: "read_write",
  }],
  uniforms: { N: "u32", V: "u32", row0: "u32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/cross_entropy.ts crossEntropyRows",
    ...lossRows,
    uniforms: ({ N, V, row0 }) => ({ N, V, row0 }),
    outputs: { losses: ({ N, row0 }) => row0 + N },
    run: ({ N, V, row0 }, a) => ({ losses: chunkLosses(a, N, V, row0) }),
    tolerance: { losses: lossTolerance },
  },
  body: /* wgsl */ `
  let o = n * params.V;
  var m = -3.4028234663852886e38;
  for (var v = 0u; v < params.V; v++) { m = max(m, logits[o + v]); }
  var s = 0.0;
  for (var v = 0u; v < params.V; v++) { s += exp(logits[o + v] - m); }
  losses[params.row0 + n] = log(s) + m - logits[o + u32(targets[params.row0 + n])];`,
});
