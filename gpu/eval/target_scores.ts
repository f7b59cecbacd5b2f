/**
 * Scoring continuation tokens on the device: for each query q = (flat position p, target t) of a
 * logits chunk (rows, V) from row row0, logp[q] = z[p, t] − logsumexp(z[p, :]) (the max subtracted
 * first) and greedy[q] = 1 when t is the first index of the row's largest logit, else 0; one invocation
 * per query, queries q0 .. q0 + Q. Only 2 numbers per continuation token come back, not V logits.
 * CPU twin: core/eval/target_scores.ts.
 * @module
 */
import { targetScores as twin } from "../../core/eval/target_scores.ts";
import { rowwise } from "../engine/elementwise.ts";
import { exact, type Inputs, overwrite, wide } from "../engine/twin.ts";

type Dims = { N: number; V: number; row0: number; q0: number; Q: number };

/** Queries from drawn integers: positions inside the chunk's rows, targets inside the vocabulary. */
const queriesOf = ({ N, V, row0 }: Dims, a: Inputs): Int32Array =>
  Int32Array.from(a.i32("raw"), (r, i) => (i % 2 === 0 ? row0 + (r % N) : r % V));

/** The twin's answer for the chunk's queries, the other elements as the kernel found them. */
const answer = (d: Dims, a: Inputs) => {
  const r = twin(wide(a.f32("logits")), queriesOf(d, a), d.row0, d.q0, d.Q, d.V);
  const at = (i: number) => (i >= d.q0 && i < d.q0 + d.Q ? i - d.q0 : -1);
  return {
    logp: overwrite(a.f32("logp"), (i) => (at(i) >= 0 ? r.logp[at(i)] : undefined)),
    greedy: overwrite(a.i32("greedy"), (i) => (at(i) >= 0 ? r.greedy[at(i)] : undefined)),
  };
};

export const targetScores = rowwise({
  name: "target_scores",
  bindings: [
    { name: "logits", access: "read" },
    { name: "queries", access: "read", type: "i32" },
    { name: "logp", access: "read_write" },
    { name: "greedy", access: "read_write", type: "i32" },
  ],
  uniforms: { Q: "u32", q0: "u32", V: "u32", row0: "u32" },
  count: ["params.Q", ({ Q }) => Q],
  twin: {
    of: "core/eval/target_scores.ts targetScores",
    dims: { N: [1, 9], V: [1, 300], row0: [0, 3], q0: [0, 3], Q: [1, 12] },
    inputs: {
      logits: { _tag: "f32", length: ({ N, V }: Dims) => N * V, min: -20, max: 20 },
      raw: { _tag: "i32", length: ({ q0, Q }: Dims) => 2 * (q0 + Q), min: () => 0, max: () => 1 << 20 },
      queries: { _tag: "derived", make: (d: Dims, a: Inputs) => queriesOf(d, a) },
    },
    uniforms: ({ Q, q0, V, row0 }) => ({ Q, q0, V, row0 }),
    outputs: { logp: ({ q0, Q }) => q0 + Q, greedy: ({ q0, Q }) => q0 + Q },
    run: (d, a) => answer(d, a),
    tolerance: {
      // V exps summed (γ_V), a log and two subtractions, of |logp| + the row's largest |logit|.
      logp: {
        _tag: "ulps",
        text: "(V + 8) ulps of |logp| + the row's largest |logit|",
        ulps: ({ V }) => V + 8,
        scale: ({ d, a, want }) => {
          const q = queriesOf(d, a), z = a.f32("logits");
          return Float64Array.from(want("logp"), (w, i) => {
            if (i < d.q0 || i >= d.q0 + d.Q) return 0;
            const row = z.subarray((q[2 * i]! - d.row0) * d.V, (q[2 * i]! - d.row0 + 1) * d.V);
            return Math.abs(w) + row.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
          });
        },
      },
      greedy: exact, // comparisons of the same f32 values, first index on ties, on both sides
    },
  },
  body: /* wgsl */ `
  let q = params.q0 + n;
  let o = u32(queries[2u * q] - i32(params.row0)) * params.V;
  let t = u32(queries[2u * q + 1u]);
  var m = logits[o];
  var a = 0u;
  for (var v = 1u; v < params.V; v++) { if (logits[o + v] > m) { m = logits[o + v]; a = v; } }
  var s = 0.0;
  for (var v = 0u; v < params.V; v++) { s += exp(logits[o + v] - m); }
  logp[q] = logits[o + t] - m - log(s);
  greedy[q] = select(0, 1, a == t);`,
});
