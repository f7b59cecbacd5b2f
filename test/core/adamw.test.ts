/**
 * The CPU AdamW (core/ops/adamw.ts) against numbers worked by hand from the formula in core/train/trainer.ts.
 * @module
 */
import { describe, expect, test } from "vitest";
import { adamwStep, clipScale, globalNorm } from "../../core/ops/adamw.ts";
import type { Hyper } from "../../core/train/trainer.ts";

const hp: Hyper = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };
const f32 = (xs: number[]) => Float32Array.from(xs);

describe("AdamW on the CPU", () => {
  test("a first step from zero moments moves each parameter by about lr·sign(g), plus decay on matrices only", () => {
    // t = 1: m = 0.1·g, v = 0.05·g², m̂ = g, v̂ = g², so the step is lr·(g/(|g| + ε) + wd·p).
    const p = f32([1, -2, 0.5]), g = f32([0.5, -4, 0]), z = f32([0, 0, 0]);
    const d = adamwStep(p, g, z, z, 1, hp, true);
    expect(Array.from(d.m)).toEqual(Array.from(f32([0.05, -0.4, 0])));
    expect(Array.from(d.v)).toEqual(Array.from(f32([0.0125, 0.8, 0])));
    expect(Array.from(d.param)).toEqual(
      Array.from(f32([1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.1), -2 - 0.1 * (-4 / (4 + 1e-8) - 0.2), 0.5 - 0.1 * 0.05])),
    );
    const n = adamwStep(p, g, z, z, 1, hp, false);
    expect(Array.from(n.param)).toEqual(
      Array.from(f32([1 - 0.1 * (0.5 / (0.5 + 1e-8)), -2 - 0.1 * (-4 / (4 + 1e-8)), 0.5])),
    );
    expect(Array.from(p)).toEqual([1, -2, 0.5]); // inputs untouched
  });
  test("a second step uses bias corrections 1 − β^2 and the stored moments", () => {
    const m = f32([0.05]), v = f32([0.0125]), g = 0.25;
    const mt = 0.9 * Math.fround(0.05) + 0.1 * g, vt = 0.95 * Math.fround(0.0125) + 0.05 * g * g;
    const want = 0.75 - 0.1 * ((mt / (1 - 0.81)) / (Math.sqrt(vt / (1 - 0.9025)) + 1e-8) + 0.1 * 0.75);
    const d = adamwStep(f32([0.75]), f32([g]), m, v, 2, hp, true);
    expect([d.m[0], d.v[0], d.param[0]]).toEqual([Math.fround(mt), Math.fround(vt), Math.fround(want)]);
  });
  test("the gradient scale multiplies the gradient before the moments (clipping)", () => {
    const z = f32([0]);
    expect(adamwStep(f32([1]), f32([2]), z, z, 1, hp, false, 0.25)).toEqual(
      adamwStep(f32([1]), f32([0.5]), z, z, 1, hp, false),
    );
  });
  test("the global norm spans every tensor, and the clip scale is min(1, clip/‖g‖) with 0 meaning off", () => {
    expect(globalNorm({ a: f32([3]), b: f32([0, 4]) })).toBe(5);
    expect([clipScale(5, 1), clipScale(5, 0), clipScale(0.5, 1), clipScale(1, 1), clipScale(0, 1)]).toEqual([
      0.2,
      1,
      1,
      1,
      1,
    ]);
  });
});
