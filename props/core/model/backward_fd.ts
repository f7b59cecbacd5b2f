/**
 * Finite differences for the backward properties: central differences in float64, a tolerance,
 * and seeded generic inputs (not shrinkable degenerate ones: a LayerNorm row of equal values has a
 * curvature of order 1/√ε³, where no difference quotient is accurate).
 * @module
 */
import fc from "fast-check";

/** A seeded stream of uniform numbers in [−1, 1) (mulberry32, as props/core/arbitraries.ts). */
export const uniforms = (seed: number): () => number => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  };
};

/** n float64 values center ± scale, from a seed. */
export const arbF64 = (n: number, scale = 1, center = 0): fc.Arbitrary<Float64Array> =>
  fc.integer().map((seed) => {
    const next = uniforms(seed);
    return Float64Array.from({ length: n }, () => center + scale * next());
  });

/**
 * Relative step: h = H_REL · max(1, |x_i|). A plain central difference has truncation error
 * h²·f‴/6, which on an ill-conditioned input (a LayerNorm row whose values nearly agree) reaches
 * 5e-7 of the gradient; one Richardson step, (4·D(h/2) − D(h))/3, cancels the h² term and leaves
 * O(h⁴). What remains is rounding, ~3ε·M/h ≈ 1e-9·M where M is the size of the terms f sums.
 */
export const H_REL = 1e-6;

/**
 * The tolerance of a gradient whose largest entry is gMax: 1e-6 of the gradient's scale, the scale
 * floored at 0.1 so that a vanishing gradient is held to 1e-7 absolute, ~10× the rounding floor.
 */
export const fdTolerance = (gMax: number): number => 1e-6 * Math.max(gMax, 0.1);

/** One Richardson step on a central difference quotient q(h). */
const richardson = (q: (h: number) => number, h: number): number => (4 * q(h / 2) - q(h)) / 3;

/** ∂f/∂x_i by central differences; f reads x, which is restored afterwards. */
export const centralDifference = (f: () => number, x: Float64Array, i: number): number => {
  const x0 = x[i]!;
  return richardson((h) => {
    const up = x0 + h, down = x0 - h; // divide by the step float64 actually took
    x[i] = up;
    const fUp = f();
    x[i] = down;
    const fDown = f();
    x[i] = x0;
    return (fUp - fDown) / (up - down);
  }, H_REL * Math.max(1, Math.abs(x0)));
};

/** Directional derivative of f at x along u by central differences, x ± h·u; x is restored afterwards. */
export const directionalDifference = (f: () => number, x: Float64Array, u: Float64Array): number => {
  const x0 = x.slice();
  const at = (h: number) => {
    for (let i = 0; i < x.length; i++) x[i] = x0[i]! + h * u[i]!;
    return f();
  };
  const d = richardson((h) => (at(h) - at(-h)) / (2 * h), H_REL);
  x.set(x0);
  return d;
};

export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Σ r·y: the scalar whose gradient with respect to y is r, to turn an op into a loss. */
export const dot = (r: ArrayLike<number>, y: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * y[i]!;
  return s;
};
