import { describe, expect, test } from "vitest";
import { geluErfScalar, geluScalar, siluScalar } from "../../core/ops/activations.ts";
import { erfcScalar, erfScalar } from "../../core/ops/erf.ts";
import { causalAttention } from "../../core/ops/attention/attention.ts";
import { linear } from "../../core/ops/matmul/matmul.ts";
import { meanCrossEntropy } from "../../core/ops/cross_entropy.ts";
import { layerNorm, rmsNorm } from "../../core/ops/norms/norms.ts";
import { rope } from "../../core/ops/rope.ts";

const f32 = (xs: number[]) => Float32Array.from(xs);
// Known answers are compared after rounding to f32: 1 ulp of slack where a value is not exact in f32.
const closeF32 = (got: ArrayLike<number>, want: number[]) =>
  want.forEach((w, i) =>
    expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(Math.abs(Math.fround(w)) * 2 ** -23 + 1e-30)
  );

describe("CPU reference ops, known answers", () => {
  test("linear computes x·Wᵀ + b with W stored (out, in)", () => {
    closeF32(linear(f32([1, 2, 3]), f32([1, 0, 0, 0, 1, 1]), f32([10, 20]), 1, 3, 2), [11, 25]);
  });
  test("layer norm makes a row zero-mean, unit-variance before its gain and bias", () => {
    // x = [1, 3]: mean 2, var 1 → (±1)/sqrt(1 + 0) scaled by w = 2, shifted by b = 1
    closeF32(layerNorm(f32([1, 3]), f32([2, 2]), f32([1, 1]), 1, 2, 0), [-1, 3]);
  });
  test("rms norm divides by the root mean square", () => {
    // x = [3, 4]: mean square 12.5 → x / sqrt(12.5)
    closeF32(rmsNorm(f32([3, 4]), f32([1, 1]), 1, 2, 0), [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)]);
  });
  test("GELU (tanh form) and SiLU take their textbook values", () => {
    expect(geluScalar(0)).toBe(0);
    expect(geluScalar(1)).toBeCloseTo(0.8411919906082768, 14);
    expect(geluScalar(-1)).toBeCloseTo(-0.15880800939172324, 14);
    expect(siluScalar(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });
  // Reference values: the C library's erf and erfc (glibc, through Python's math module), as tabulated in A&S 7.1.
  test("erf and erfc take their tabulated values to a few float64 ulps, on both sides of the series/fraction switch", () => {
    const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
    const erfs: ReadonlyArray<[number, number]> = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [
      2,
      0.9953222650189527,
    ]];
    for (const [x, want] of erfs) {
      expect(rel(erfScalar(x), want)).toBeLessThan(4e-16);
      expect(erfScalar(-x)).toBe(-erfScalar(x));
    }
    const erfcs: ReadonlyArray<[number, number]> = [[3, 2.2090496998585438e-5], [5, 1.5374597944280351e-12], [
      10,
      2.088487583762545e-45,
    ]];
    for (const [x, want] of erfcs) expect(rel(erfcScalar(x), want)).toBeLessThan(4e-15);
  });
  test("the exact GELU is x·Φ(x): 0 at 0, Φ(1) = 0.841344746068543 at 1, and −Φ(−1) at −1", () => {
    expect(geluErfScalar(0)).toBe(0);
    expect(geluErfScalar(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(geluErfScalar(-1)).toBeCloseTo(-0.15865525393145707, 15);
  });
  test("rotary at position 0 is the identity and rotates pair j by pos·θ^(−2j/D)", () => {
    const x = f32([1, 0, 1, 0]);
    expect(rope(x, 1, 1, 4, 0, 10000, "interleaved")).toEqual(x);
    // pos 1: pair 0 turns by 1 rad, pair 1 by 1/100 rad
    closeF32(rope(x, 1, 1, 4, 1, 10000, "interleaved"), [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)]);
  });
  test("attention at the first position returns that position's value, for every query head of a kv group", () => {
    const q = f32([5, -3, 2, 7]), k = f32([1, 1]), v = f32([0.5, -2]); // NH = 2, NKV = 1, D = 2
    expect(causalAttention(q, k, v, { T: 1, pos0: 0, nHead: 2, nKvHead: 1, headDim: 2 })).toEqual(
      f32([0.5, -2, 0.5, -2]),
    );
  });
  test("attention with equal keys averages the values it may see", () => {
    const k = f32([0.3, 0.3, 0.3]), v = f32([1, 2, 6]); // T = 3, one head, D = 1
    closeF32(causalAttention(f32([1, 1, 1]), k, v, { T: 3, pos0: 0, nHead: 1, nKvHead: 1, headDim: 1 }), [1, 1.5, 3]);
  });
  test("cross-entropy of equal logits is ln V", () => {
    expect(meanCrossEntropy(f32([0, 0, 0, 0]), Int32Array.of(2), 1, 4)).toBeCloseTo(Math.log(4), 14);
  });
});
