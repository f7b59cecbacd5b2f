/**
 * The learning-rate schedule (core/train/schedule.ts): linear warm-up, then cosine from the peak down to
 * the floor at the last step.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { settingsFor } from "../../../adapters/train/settings.ts";
import { learningRate, type Schedule } from "../../../core/train/schedule.ts";
import type { ModelSpec } from "../../../core/model/spec.ts";

/** A schedule with warm-up shorter than the run and a floor at or below the peak, by construction. */
const arbSchedule: fc.Arbitrary<Schedule> = fc.record({
  steps: fc.integer({ min: 2, max: 400 }),
  lr: fc.double({ min: 1e-5, max: 1, noNaN: true }),
  floor: fc.double({ min: 0, max: 1, noNaN: true }),
}).chain(({ steps, lr, floor }) =>
  fc.integer({ min: 0, max: steps - 1 }).map((warmup) => ({ lr, minLr: lr * floor, warmup, steps }))
);

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

describe("the learning-rate schedule", () => {
  test.prop([arbSchedule])(
    "for any schedule, warm-up rises linearly to the peak and every step is within [0, peak]",
    (s) => {
      for (let i = 0; i < s.warmup; i++) expect(close(learningRate(s, i), (s.lr * (i + 1)) / s.warmup)).toBe(true);
      for (let i = 0; i < s.steps; i++) {
        expect(learningRate(s, i)).toBeGreaterThanOrEqual(0);
        expect(learningRate(s, i)).toBeLessThanOrEqual(s.lr * (1 + 1e-12));
      }
    },
  );
  test.prop([arbSchedule])(
    "for any schedule, after warm-up the rate never rises, starts at the peak and ends at the floor on the last step",
    (s) => {
      const after = Array.from({ length: s.steps - s.warmup }, (_, i) => learningRate(s, s.warmup + i));
      after.slice(1).forEach((x, i) => expect(x).toBeLessThanOrEqual(after[i]! * (1 + 1e-12)));
      expect(close(after[0]!, s.lr)).toBe(true);
      if (s.steps - 1 > s.warmup) expect(close(learningRate(s, s.steps - 1), s.minLr)).toBe(true);
    },
  );
  test("the paper's defaults: 10% warm-up and a floor of 10% of the peak, halfway down the cosine at the middle of the decay", () => {
    const spec: ModelSpec = {
      _tag: "gpt2",
      nLayer: 1,
      nEmbd: 4,
      nHead: 1,
      vocabSize: 8,
      blockSize: 256,
      normEps: 1e-5,
      nInner: 16,
    };
    const settings = settingsFor({ steps: 101 }, spec);
    if (E.isLeft(settings)) throw new Error(settings.left.message);
    const { lr, minLr, warmup, steps } = settings.right, s: Schedule = { lr, minLr, warmup, steps };
    expect(s).toEqual({ lr: 3e-3, minLr: expect.closeTo(3e-4, 15), warmup: 10, steps: 101 });
    expect(learningRate(s, 0)).toBeCloseTo(3e-4, 15);
    expect(learningRate(s, 9)).toBeCloseTo(3e-3, 15);
    expect(learningRate(s, 10 + 45)).toBeCloseTo((3e-3 + 3e-4) / 2, 15);
    expect(learningRate(s, 100)).toBeCloseTo(3e-4, 15);
  });
});
