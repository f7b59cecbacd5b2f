/**
 * CPU reference embedding of one sequence: token rows of wte, plus learned position rows of wpe
 * for GPT-2 (Llama's positions come from rope instead). Shapes: tokens (T), wte (V, C), wpe (P, C)
 * with P ≥ pos0 + T → (T, C). A gather and at most one addition per element, rounded once to the
 * table's type, so the GPU's one f32 addition gives the same bits. Gemma then scales it by fround(√C).
 * @module
 */
import { alloc, type Floats, type FloatWeights, unsafeTensorOf } from "../model/floats.ts";
import { embedScaleOf, type ModelSpec } from "../model/spec.ts";

/** x[t, c] = wte[tokens[t], c] (+ wpe[pos0 + t, c] when wpe is given). */
export const embedRows = <A extends Floats>(
  wte: A,
  wpe: Floats | undefined,
  tokens: ArrayLike<number>,
  C: number,
  pos0: number,
): A => embedRowsAt(wte, wpe, tokens, C, Array.from(tokens, (_, t) => pos0 + t));

/** embedRows with token t at position positions[t] (packed sequences: core/eval/packed_layout.ts). */
export const embedRowsAt = <A extends Floats>(
  wte: A,
  wpe: Floats | undefined,
  tokens: ArrayLike<number>,
  C: number,
  positions: ArrayLike<number>,
): A => {
  const T = tokens.length, x = alloc(wte, T * C);
  for (let t = 0; t < T; t++) {
    const o = tokens[t]! * C, p = positions[t]! * C;
    for (let c = 0; c < C; c++) x[t * C + c] = wpe === undefined ? wte[o + c]! : wte[o + c]! + wpe[p + c]!;
  }
  return x;
};

/** Token (and, for GPT-2, learned position) embedding of one sequence, times √C for Gemma: (T) → (T, C). */
export const embed = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>, tokens: ArrayLike<number>, pos0: number): A =>
  scaleValues(
    embedRows(
      unsafeTensorOf(w, "wte"),
      s._tag === "llama" ? undefined : unsafeTensorOf(w, "wpe"),
      tokens,
      s.nEmbd,
      pos0,
    ),
    embedScaleOf(s),
  );

/**
 * x·k, each value rounded once to x's type (x itself when k = 1): Gemma's √C on the embedding, and on its
 * gradient in the backward (the GPU's one f32 product per value, gpu/kernels/embed.ts embedScale).
 */
export const scaleValues = <A extends Floats>(x: A, k: number): A => {
  if (k === 1) return x;
  const y = alloc(x, x.length);
  for (let n = 0; n < x.length; n++) y[n] = x[n]! * k;
  return y;
};
