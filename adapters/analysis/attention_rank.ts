/**
 * Singular values of a T×T attention matrix, through ml-matrix's SVD (MIT; pure JS). Kept out of
 * core/ only because core imports nothing but fp-ts and io-ts; the rank measure itself is
 * core/surgery/diagnostics.ts.
 * @module
 */
import { Matrix, SVD } from "ml-matrix";

export const singularValues = (P: Float64Array, T: number): number[] => {
  const m = new Matrix(T, T);
  for (let r = 0; r < T; r++) for (let c = 0; c < T; c++) m.set(r, c, P[r * T + c]!);
  return new SVD(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true })
    .diagonal;
};
