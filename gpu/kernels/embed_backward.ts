/**
 * Embedding backward without atomics. The host knows the tokens, so it groups the rows by token
 * (groupRowsByToken: uniq, the distinct tokens; start, where each one's rows begin in `rows`,
 * sorted ascending), and one invocation per (distinct token, column) sums its rows in order:
 *   dwte[tok, c] += Σ_{n: tokens[n] = tok} dx[n, c]   (a view of rows v0 .. v0 + vCount of dwte)
 * Learned positions (GPT-2): dwpe[t, c] += Σ_b dx[b·T + t, c], one invocation per (t, c).
 * CPU twins: core/ops/embed_backward.ts.
 * @module
 */
import { embeddingBackward, positionBackward as cpuPositionBackward } from "../../core/ops/embed_backward.ts";
import { elementwise } from "../engine/elementwise.ts";
import { abs, wide } from "../engine/twin.ts";

/** Rows grouped by token for the embedding backward: distinct tokens ascending, each one's rows in order. */
export const groupRowsByToken = (tokens: Int32Array): { uniq: Int32Array; start: Int32Array; rows: Int32Array } => {
  const rows = Int32Array.from(tokens.keys()).sort((a, b) => tokens[a]! - tokens[b]! || a - b);
  const uniq: number[] = [], start: number[] = [];
  rows.forEach((r, k) => {
    if (k === 0 || tokens[r]! !== tokens[rows[k - 1]!]!) {
      uniq.push(tokens[r]!);
      start.push(k);
    }
  });
  start.push(rows.length);
  return { uniq: Int32Array.from(uniq), start: Int32Array.from(start), rows };
};

/** The view's rows v0 .. v0 + vCount of the whole table's gradient: the twin's sums from `base` (the view as found). */
const viewGrad = (dx: Float64Array, tokens: Int32Array, V: number, C: number, v0: number, view: ArrayLike<number>) => {
  const base = new Float64Array(V * C);
  base.set(view, v0 * C);
  return embeddingBackward(dx, tokens, V, C, base).subarray(v0 * C, v0 * C + view.length);
};

export const embedBackward = elementwise({
  name: "embed_backward",
  bindings: [
    { name: "dx", access: "read" },
    { name: "uniq", access: "read", type: "i32" },
    { name: "start", access: "read", type: "i32" },
    { name: "rows", access: "read", type: "i32" },
    { name: "dwte", access: "read_write" },
  ],
  uniforms: { U: "u32", C: "u32", v0: "u32", vCount: "u32" },
  count: ["params.U * params.C", ({ U, C }) => U * C],
  twin: {
    of: "core/ops/embed_backward.ts embeddingBackward",
    // V = v0 + vCount + above tokens; the kernel adds into the view of rows v0 .. v0 + vCount
    dims: { N: [1, 24], C: [1, 8], v0: [0, 3], vCount: [1, 12], above: [0, 3] },
    uniforms: ({ C, v0, vCount }, a) => ({ U: a.i32("uniq").length, C, v0, vCount }),
    inputs: {
      tokens: {
        _tag: "i32",
        length: ({ N }) => N,
        min: () => 0,
        max: ({ v0, vCount, above }) => v0 + vCount + above - 1,
      },
      dx: { _tag: "f32", length: ({ N, C }) => N * C },
      dwte: { _tag: "f32", length: ({ vCount, C }) => vCount * C },
      uniq: { _tag: "derived", make: (_, a) => groupRowsByToken(a.i32("tokens")).uniq },
      start: { _tag: "derived", make: (_, a) => groupRowsByToken(a.i32("tokens")).start },
      rows: { _tag: "derived", make: (_, a) => groupRowsByToken(a.i32("tokens")).rows },
    },
    outputs: { dwte: ({ vCount, C }) => vCount * C },
    run: ({ C, v0, vCount, above }, a) => ({
      dwte: viewGrad(wide(a.f32("dx")), a.i32("tokens"), v0 + vCount + above, C, v0, a.f32("dwte")),
    }),
    // the row's value and at most N rows, added in order: γ_(N+1) of Σ|terms|
    tolerance: {
      dwte: {
        _tag: "ulps",
        text: "(N + 1) ulps of |dwte| + Σ|dx rows|",
        ulps: ({ N }) => N + 1,
        scale: ({ d: { C, v0, vCount, above }, a }) =>
          viewGrad(abs(a.f32("dx")), a.i32("tokens"), v0 + vCount + above, C, v0, abs(a.f32("dwte"))),
      },
    },
  },
  body: /* wgsl */ `
  let u = i / params.C;
  let c = i % params.C;
  let tok = u32(uniq[u]);
  if (tok < params.v0 || tok >= params.v0 + params.vCount) { return; }
  var s = 0.0;
  for (var k = u32(start[u]); k < u32(start[u + 1u]); k++) { s += dx[u32(rows[k]) * params.C + c]; }
  let at = (tok - params.v0) * params.C + c;
  dwte[at] = dwte[at] + s;`,
});

export const positionBackward = elementwise({
  name: "position_backward",
  bindings: [{ name: "dx", access: "read" }, { name: "dwpe", access: "read_write" }],
  uniforms: { B: "u32", T: "u32", C: "u32" },
  count: ["params.T * params.C", ({ T, C }) => T * C],
  twin: {
    of: "core/ops/embed_backward.ts positionBackward",
    // dwpe holds P = T + spare positions; the rows past T are left alone
    dims: { B: [1, 4], T: [1, 9], C: [1, 12], spare: [0, 3] },
    uniforms: ({ B, T, C }) => ({ B, T, C }),
    inputs: {
      dx: { _tag: "f32", length: ({ B, T, C }) => B * T * C },
      dwpe: { _tag: "f32", length: ({ T, spare, C }) => (T + spare) * C },
    },
    outputs: { dwpe: ({ T, spare, C }) => (T + spare) * C },
    run: ({ B, T, C, spare }, a) => ({
      dwpe: cpuPositionBackward(wide(a.f32("dx")), B, T, T + spare, C, a.f32("dwpe")),
    }),
    // the row's value and B rows, added in order: γ_(B+1) of Σ|terms|
    tolerance: {
      dwpe: {
        _tag: "ulps",
        text: "(B + 1) ulps of |dwpe| + Σ_b |dx|",
        ulps: ({ B }) => B + 1,
        scale: ({ d: { B, T, C, spare }, a }) =>
          cpuPositionBackward(abs(a.f32("dx")), B, T, T + spare, C, abs(a.f32("dwpe"))),
      },
    },
  },
  body: /* wgsl */ `
  var s = 0.0;
  for (var b = 0u; b < params.B; b++) { s += dx[b * params.T * params.C + i]; }
  dwpe[i] = dwpe[i] + s;`,
});
