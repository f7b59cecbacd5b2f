/**
 * The attention matrices' energies (core/surgery/spectrum.ts, eigenvalues of P·Pᵀ) against the squared
 * singular values of a full SVD (ml-matrix, adapters/analysis/attention_rank.ts). Both are backward
 * stable in float64, so each energy agrees within 16·T·2⁻⁵³·σ₁² (each is within a few T·u·σ₁²), and the
 * 90% count then agrees unless a partial sum lies that close to 90% of the total.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { singularValues } from "../../adapters/analysis/attention_rank.ts";
import { countHolding, rank90 } from "../../core/surgery/diagnostics.ts";
import { causalEnergies, spectrumScratch } from "../../core/surgery/spectrum.ts";

/** A causal attention matrix of size T: row t a softmax over keys 0..t of scores drawn with a temperature (peaked to flat). */
const arbCausalOf = (T: number) =>
  fc.double({ min: 0, max: 12, noNaN: true }).chain((sharp) =>
    fc.float64Array({ minLength: T * T, maxLength: T * T, min: -1, max: 1, noNaN: true }).map((z) => {
      const P = new Float64Array(T * T);
      for (let t = 0; t < T; t++) {
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += P[t * T + s] = Math.exp(sharp * z[t * T + s]!);
        for (let s = 0; s <= t; s++) P[t * T + s] = P[t * T + s]! / sum;
      }
      return { T, P };
    })
  );
const arbCausal = fc.integer({ min: 1, max: 40 }).chain(arbCausalOf);

test.prop([arbCausal], { numRuns: 200 })(
  "for any causal attention matrix, the Gram eigenvalues are the SVD's σ² within 16·T·2⁻⁵³·σ₁², and the 90% count agrees away from a tie",
  ({ T, P }) => {
    const got = causalEnergies(P, T), want = Array.from(singularValues(P, T), (x) => x * x).sort((a, b) => b - a);
    const bound = 16 * T * 2 ** -53 * want[0]!;
    want.forEach((x, i) => expect(Math.abs(got[i]! - x), `energy ${i} of ${T}`).toBeLessThanOrEqual(bound));
    const total = want.reduce((a, b) => a + b, 0);
    let acc = 0;
    const nearTie = want.some((x) => Math.abs((acc += x) - 0.9 * total) <= 2 * T * bound);
    if (!nearTie) expect(countHolding(got, 0.9)).toBe(rank90(singularValues(P, T)));
  },
);

test.prop([fc.integer({ min: 1, max: 40 }).chain((T) => fc.array(arbCausalOf(T), { minLength: 2, maxLength: 4 }))], {
  numRuns: 50,
})(
  "for any causal matrices of one size in turn, one reused scratch gives each the bits of a fresh call",
  (ms) => {
    const scratch = spectrumScratch(ms[0]!.T);
    for (const { T, P } of ms) {
      expect(Array.from(causalEnergies(P, T, scratch))).toEqual(Array.from(causalEnergies(P, T)));
    }
  },
);

test("a matrix of one column is rank 1, the identity is rank ⌈0.9·T⌉, uniform causal attention is ranked as the SVD ranks it", () => {
  const T = 10, first = new Float64Array(T * T), eye = new Float64Array(T * T), uniform = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    first[t * T] = 1;
    eye[t * T + t] = 1;
    for (let s = 0; s <= t; s++) uniform[t * T + s] = 1 / (t + 1);
  }
  expect(countHolding(causalEnergies(first, T), 0.9)).toBe(1);
  expect(countHolding(causalEnergies(eye, T), 0.9)).toBe(9);
  expect(countHolding(causalEnergies(uniform, T), 0.9)).toBe(rank90(singularValues(uniform, T)));
});
