/**
 * CPU reference transpose of a row-major matrix: wt[i, r] = w[r, i], w (R, I) → wt (I, R).
 * A copy: exact in any precision.
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";

export const transpose = <A extends Floats>(w: A, R: number, I: number): A => {
  const wt = alloc(w, R * I);
  for (let r = 0; r < R; r++) for (let i = 0; i < I; i++) wt[i * R + r] = w[r * I + i]!;
  return wt;
};
