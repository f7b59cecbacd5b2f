/**
 * The CPU evaluator (core/train/cpu_trainer.ts createCpuEvaluator: the core forward, no optimizer
 * state) against the CPU trainer's evalLoss: for any model, weights and batch, before and after a
 * step (the evaluator then built from the trainer's weights), both give the same loss bit for bit.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { createCpuEvaluator, createCpuTrainer } from "../../../core/train/cpu_trainer.ts";
import { right } from "../../../test/tmp.ts";
import { arbHeadSizedSpec, arbTokens, arbWeights } from "../arbitraries.ts";

const hyper = (lr: number) => ({ lr, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 });

const arbCase = arbHeadSizedSpec.chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    batch: arbTokens(s),
    shift: fc.nat(1000),
    steps: fc.integer({ min: 0, max: 2 }),
  })
);

test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 30) })(
  "for any model and batch, the CPU evaluator's loss is the CPU trainer's evalLoss, bit for bit (before, after steps)",
  async ({ s, w, batch: { B, T, tokens }, shift, steps }) => {
    const mb = { tokens, targets: tokens.map((t, i) => (t + shift + i) % s.vocabSize) };
    const trainer = createCpuTrainer(s, { weights: w });
    for (let k = 0; k < steps; k++) right(await trainer.step([mb], B, T, hyper(1e-2))());
    const weights = right(await trainer.state()()).weights;
    const want = right(await trainer.evalLoss(mb, B, T)());
    expect(right(await createCpuEvaluator(s, weights).evalLoss(mb, B, T)())).toBe(want);
  },
);
