/**
 * Embedding forward: out[n, c] = wte[tokens[n], c] (+ wpe[pos0 + n mod T, c] for GPT-2's learned
 * positions). Shapes: tokens (N = B·T) i32, wte (V, C), wpe (P, C), out (N, C). wte may be a view
 * of rows v0 .. v0 + vCount (a vocabulary over one binding): rows of other tokens are left alone.
 * CPU twin: core/ops/embed.ts `embedRows` (exact: one f32 addition either way).
 * embedScale: x ← x·k in place, Gemma's √C on the embedding (and on its gradient in the backward);
 * twin core/ops/embed.ts `scaleValues`, exact: one f32 product either way.
 * @module
 */
import { embedRows, scaleValues } from "../../core/ops/embed.ts";
import { elementwise } from "../engine/elementwise.ts";
import { overwrite, wide } from "../engine/twin.ts";

export const embedForward = elementwise({
  name: "embed_forward",
  bindings: [
    { name: "tokens", access: "read", type: "i32" },
    { name: "wte", access: "read" },
    { name: "wpe", access: "read" }, // bound to any tensor when usePos = 0
    { name: "out", access: "read_write" },
  ],
  uniforms: { N: "u32", T: "u32", C: "u32", pos0: "u32", usePos: "u32", v0: "u32", vCount: "u32" },
  count: ["params.N * params.C", ({ N, C }) => N * C],
  twin: {
    of: "core/ops/embed.ts embedRows",
    // V = v0 + vCount + above tokens; the kernel sees rows v0 .. v0 + vCount of the table
    dims: {
      B: [1, 3],
      T: [1, 9],
      C: [1, 12],
      v0: [0, 4],
      vCount: [1, 30],
      above: [0, 4],
      pos0: [0, 3],
      usePos: [0, 1],
    },
    uniforms: ({ B, T, C, pos0, usePos, v0, vCount }) => ({ N: B * T, T, C, pos0, usePos, v0, vCount }),
    inputs: {
      table: { _tag: "f32", length: ({ v0, vCount, above, C }) => (v0 + vCount + above) * C },
      tokens: {
        _tag: "i32",
        length: ({ B, T }) => B * T,
        min: () => 0,
        max: ({ v0, vCount, above }) => v0 + vCount + above - 1,
      },
      wpe: { _tag: "f32", length: ({ pos0, T, C }) => (pos0 + T) * C },
      wte: { _tag: "derived", make: ({ v0, vCount, C }, a) => a.f32("table").slice(v0 * C, (v0 + vCount) * C) },
    },
    outputs: { out: ({ B, T, C }) => B * T * C },
    run: ({ B, T, C, v0, vCount, pos0, usePos }, a) => {
      const tokens = a.i32("tokens"), wpe = usePos ? a.f32("wpe") : undefined;
      const rows = Array.from(
        { length: B },
        (_, b) => embedRows(a.f32("table"), wpe, tokens.subarray(b * T, (b + 1) * T), C, pos0),
      );
      const inView = (n: number) => tokens[n]! >= v0 && tokens[n]! < v0 + vCount;
      const n = (i: number) => Math.floor(i / C);
      return {
        out: overwrite(
          a.f32("out"),
          (i) => (inView(n(i)) ? rows[Math.floor(n(i) / T)]![(n(i) % T) * C + (i % C)] : undefined),
        ),
      };
    },
    tolerance: { out: { _tag: "exact" } },
  },
  body: /* wgsl */ `
  let n = i / params.C;
  let c = i % params.C;
  let tok = u32(tokens[n]);
  if (tok < params.v0 || tok >= params.v0 + params.vCount) { return; }
  var v = wte[(tok - params.v0) * params.C + c];
  if (params.usePos != 0u) { v = v + wpe[(params.pos0 + n % params.T) * params.C + c]; }
  out[i] = v;`,
});

export const embedScale = elementwise({
  name: "embed_scale",
  bindings: [{ name: "x", access: "read_write" }],
  uniforms: { n: "u32", k: "f32" },
  count: ["params.n", ({ n }) => n],
  twin: {
    of: "core/ops/embed.ts scaleValues",
    dims: { n: [1, 300], C: [2, 4096] }, // k = fround(√C), as Gemma's
    uniforms: ({ n, C }) => ({ n, k: Math.fround(Math.sqrt(C)) }),
    inputs: { x: { _tag: "f32", length: ({ n }) => n } },
    outputs: { x: ({ n }) => n },
    // the f32 product of two f32 values, rounded once: computed in float64 (exact) and rounded as the GPU rounds
    run: ({ C }, a) => ({ x: Float32Array.from(scaleValues(wide(a.f32("x")), Math.fround(Math.sqrt(C)))) }),
    tolerance: { x: { _tag: "exact" } },
  },
  body: /* wgsl */ `
  x[i] = x[i] * params.k;`,
});
