/**
 * CPU reference error function, float64-accurate (relative error about 1e-15 for erf, 1e-13 for erfc below 2,
 * 1e-15 above), for the exact GELU (core/ops/activations.ts geluErf, and erf elementwise, the twin of the f32 erf of
 * gpu/kernels/activations.ts) and its float64 finite-difference checks.
 * JavaScript has no Math.erf; this is written from two published expansions (Abramowitz & Stegun 1964, §7.1):
 * - 7.1.6, for |z| < 2: erf z = (2/√π) e^(−z²) Σₙ 2ⁿ z^(2n+1) / (1·3···(2n+1)); every term is positive, so the
 *   sum has no cancellation, and terms shrink once 2z² < 2n + 3 (at most about 40 of them here).
 * - 7.1.14, Laplace's continued fraction, for z ≥ 2: erfc z = (e^(−z²)/√π) / (z + ½/(z + 1/(z + (3/2)/(z + …)))),
 *   evaluated by the modified Lentz method until a step changes it by less than 1e-16 (at most about 60 steps).
 * @module
 */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SERIES_BELOW = 2; // 7.1.6 below, 7.1.14 from here on

/** A&S 7.1.6 for z ≥ 0: terms t₀ = z, tₙ₊₁ = tₙ · 2z² / (2n + 3), summed until they no longer change the sum. */
const erfSeries = (z: number): number => {
  let term = z, sum = z;
  for (let n = 0; term > sum * 1e-17; n++) {
    term *= (2 * z * z) / (2 * n + 3);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
};

/** A&S 7.1.14 for z ≥ 2: the fraction z + a₁/(z + a₂/(z + …)), aₖ = k/2, by modified Lentz; then erfc. */
const erfcFraction = (z: number): number => {
  let f = z, c = z, d = 0;
  for (let k = 1; k <= 1000; k++) {
    d = 1 / (z + (k / 2) * d); // z ≥ 2 and every aₖ > 0: no denominator comes near zero
    c = z + k / 2 / c;
    const step = c * d;
    f *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
};

/** erf x = (2/√π) ∫₀ˣ e^(−t²) dt, odd. */
export const erfScalar = (x: number): number => {
  const z = Math.abs(x), r = z < SERIES_BELOW ? erfSeries(z) : 1 - erfcFraction(z);
  return x < 0 ? -r : r;
};

/** erfc x = 1 − erf x, without the cancellation of that difference for large x. */
export const erfcScalar = (x: number): number => (x < SERIES_BELOW ? 1 - erfScalar(x) : erfcFraction(x));
