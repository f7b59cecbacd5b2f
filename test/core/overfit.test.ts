/**
 * The CPU trainer learns: a tiny model driven by AdamW on one batch, again and again, drives that
 * batch's loss near zero (the classic first check of a training loop, llm.c's test_gpt2).
 * @module
 */
import { describe, expect, test } from "vitest";
import { cpuEvalLoss, cpuStep, initialState } from "../../core/train/cpu_trainer.ts";
import type { Hyper, MicroBatch } from "../../core/train/trainer.ts";
import { lcg, TINY, tinyWeights } from "../training_fixtures.ts";

describe("overfitting one batch", () => {
  test("a tiny model trained on one batch of random tokens drives its loss from about ln V to near zero", () => {
    const B = 2,
      T = 8,
      next = lcg(5),
      ids = Int32Array.from({ length: B * T + 1 }, () => Math.floor(next() * TINY.vocabSize));
    const batch: MicroBatch = { tokens: ids.subarray(0, B * T), targets: ids.subarray(1) };
    const spec = { ...TINY, nEmbd: 16, nHead: 2, nKvHead: 2, hiddenDim: 32 };
    const hp: Hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClip: 1 };
    let st = initialState(spec, { weights: tinyWeights(3, spec) });
    const first = cpuEvalLoss(spec, st.weights, batch, B, T);
    for (let i = 0; i < 300; i++) st = cpuStep(spec, st, [batch], B, T, hp).state;
    expect(first).toBeGreaterThan(2);
    expect(cpuEvalLoss(spec, st.weights, batch, B, T)).toBeLessThan(0.02);
  });
});
