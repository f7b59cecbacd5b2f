/**
 * CPU reference backward of the embedding gathers (core/ops/embed.ts `embed`): each row of dx goes
 * back to the table row it was read from. Rows sharing a token (or a position) add up, in float64
 * and in row order, rounded once to the array type of dx.
 * @module
 */
import { type Floats, fromSums } from "../model/floats.ts";

/**
 * Token embedding: dx (N, C) for tokens (N) → dwte (V, C). Sums start from `base` (V, C) when
 * given: the gradient a tied LM head already put into wte.
 */
export const embeddingBackward = <A extends Floats>(
  dx: A,
  tokens: ArrayLike<number>,
  V: number,
  C: number,
  base?: Floats,
): A => {
  const d = new Float64Array(V * C);
  if (base !== undefined) d.set(base);
  for (let n = 0; n < tokens.length; n++) {
    const o = tokens[n]! * C;
    for (let c = 0; c < C; c++) d[o + c]! += dx[n * C + c]!;
  }
  return fromSums(dx, d);
};

/**
 * Learned positions (GPT-2): dx (B, T, C), each sequence at positions 0..T−1 → dwpe (P, C), P ≥ T.
 * Sums start from `base` (P, C) when given: the gradient already accumulated there.
 */
export const positionBackward = <A extends Floats>(
  dx: A,
  B: number,
  T: number,
  P: number,
  C: number,
  base?: Floats,
): A => {
  const d = new Float64Array(P * C);
  if (base !== undefined) d.set(base);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) d[t * C + c]! += dx[(b * T + t) * C + c]!;
    }
  }
  return fromSums(dx, d);
};
