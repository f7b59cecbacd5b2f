/**
 * CPU reference backward of y = x Wᵀ + b (core/ops/matmul/matmul.ts), written from the math:
 * dx = dy W, dW = dyᵀ x, db = Σ_n dy. Shapes: dy (N, O), x (N, I), W (O, I) → dx (N, I), dW (O, I), db (O).
 * Sums run in float64 in a fixed order (dx over o ascending, dW and db over n ascending) and round
 * once to the array type of dy, as the forward ops do.
 * @module
 */
import { type Floats, fromSums } from "../../model/floats.ts";

export interface LinearGrads<A extends Floats> {
  readonly dx: A; // (N, I)
  readonly dw: A; // (O, I)
  readonly db: A; // (O): the bias gradient, whether or not the layer has a bias
}

export const linearBackward = <A extends Floats>(
  dy: A,
  x: A,
  w: A,
  N: number,
  I: number,
  O: number,
): LinearGrads<A> => {
  const dx = new Float64Array(N * I), dw = new Float64Array(O * I), db = new Float64Array(O);
  for (let n = 0; n < N; n++) {
    const xo = n * I;
    for (let o = 0; o < O; o++) {
      const g = dy[n * O + o]!, wo = o * I;
      db[o]! += g;
      for (let i = 0; i < I; i++) {
        dx[xo + i]! += g * w[wo + i]!;
        dw[wo + i]! += g * x[xo + i]!;
      }
    }
  }
  return { dx: fromSums(dy, dx), dw: fromSums(dy, dw), db: fromSums(dy, db) };
};
