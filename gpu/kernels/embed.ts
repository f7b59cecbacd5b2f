/**
 * Embedding forward: out[n, c] = wte[tokens[n], c] (+ wpe[pos0 + n mod T, c] for GPT-2's learned
 * positions). Shapes: tokens (N = B·T) i32, wte (V, C), wpe (P, C), out (N, C). wte may be a view
 * of rows v0 .. v0 + vCount (a vocabulary over one binding): rows of other tokens are left alone.
 * CPU twin: core/ops/embed.ts `embedRows` (exact: one f32 addition either way).
 * embedAtPositions: the same with token n at position pos[n] (an i32 buffer; sequences packed side by side,
 * gpu/eval/packed_forward.ts); twin `embedRowsAt`.
 * embedScale: x ← x·k in place, Gemma's √C on the embedding (and on its gradient in the backward);
 * twin core/ops/embed.ts `scaleValues`, exact: one f32 product either way.
 * @module
 */
import { embedRowsAt, scaleValues } from "../../core/ops/embed.ts";
import { elementwise } from "../engine/elementwise.ts";
import type { UniformValues } from "../engine/kernel.ts";
import { type DimValues, type Inputs, overwrite, type Twin, wide } from "../engine/twin.ts";

type EmbedDim = "B" | "T" | "C" | "v0" | "vCount" | "above" | "pos0" | "usePos";
type EmbedDims = DimValues<EmbedDim>;
/** Token n's position: pos0 + n mod T, or its drawn one inside wpe's pos0 + T rows (embedAtPositions). */
const offsetPositions = ({ B, T, pos0 }: EmbedDims): Int32Array =>
  Int32Array.from({ length: B * T }, (_, n) => pos0 + (n % T));
const drawnPositions = ({ pos0, T }: EmbedDims, a: Inputs): Int32Array =>
  Int32Array.from(a.i32("raw"), (r) => r % (pos0 + T));

const EMBED_UNIFORMS = { N: "u32", T: "u32", C: "u32", pos0: "u32", usePos: "u32", v0: "u32", vCount: "u32" } as const;
const EMBED_BINDINGS = [
  { name: "tokens", access: "read", type: "i32" },
  { name: "wte", access: "read" },
  { name: "wpe", access: "read" }, // bound to any tensor when usePos = 0
  { name: "out", access: "read_write" },
] as const;

/** The embedding kernel, positions from the uniforms or from a buffer pos (N) i32: one body, the position's expression. */
const embedBuild = (
  name: string,
  position: string,
  positions: (d: EmbedDims, a: Inputs) => Int32Array,
  drawn: boolean,
) => ({
  name,
  uniforms: EMBED_UNIFORMS,
  count: ["params.N * params.C", ({ N, C }: UniformValues<typeof EMBED_UNIFORMS>) => N * C] as const,
  twin: {
    of: drawn ? "core/ops/embed.ts embedRowsAt" : "core/ops/embed.ts embedRows",
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
      raw: { _tag: "i32", length: ({ B, T }) => (drawn ? B * T : 1), min: () => 0, max: () => 1 << 20 },
      pos: { _tag: "derived", make: (d, a) => positions(d, a) },
    },
    outputs: { out: ({ B, T, C }) => B * T * C },
    run: (d, a) => {
      const { B, T, C, v0, vCount, usePos } = d, tokens = a.i32("tokens"), wpe = usePos ? a.f32("wpe") : undefined;
      const pos = positions(d, a), at = (b: number) => pos.subarray(b * T, (b + 1) * T);
      const rows = Array.from(
        { length: B },
        (_, b) => embedRowsAt(a.f32("table"), wpe, tokens.subarray(b * T, (b + 1) * T), C, at(b)),
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
  } satisfies Twin<"out", UniformValues<typeof EMBED_UNIFORMS>, EmbedDim>,
  body: /* wgsl */ `
  let n = i / params.C;
  let c = i % params.C;
  let tok = u32(tokens[n]);
  if (tok < params.v0 || tok >= params.v0 + params.vCount) { return; }
  var v = wte[(tok - params.v0) * params.C + c];
  if (params.usePos != 0u) { v = v + wpe[(${position}) * params.C + c]; }
  out[i] = v;`,
});

export const embedForward = elementwise({
  ...embedBuild("embed_forward", "params.pos0 + n % params.T", offsetPositions, false),
  bindings: EMBED_BINDINGS,
});

/** Token n at position pos[n] (pos0 and T unused but for the twin's tables). */
export const embedAtPositions = elementwise({
  ...embedBuild("embed_at_positions", "u32(pos[n])", drawnPositions, true),
  bindings: [...EMBED_BINDINGS, { name: "pos", access: "read", type: "i32" }],
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
