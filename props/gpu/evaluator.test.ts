/**
 * The GPU evaluator (gpu/train/evaluator.ts: the model's forward and cross-entropy, no optimizer
 * state) against the GPU trainer's evalLoss: for any model, weights and batch, in every kernel
 * profile, both give the same loss bit for bit, for a fresh trainer and for one a step has moved
 * (the evaluator then built from the trainer's weights), so scoring a reference on an evaluator
 * reports exactly what a trainer of it would.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { createGpuEvaluator } from "../../gpu/train/evaluator.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbHeadSizedSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";

const gpu = useGpu();
const hyper = (lr: number) => ({ lr, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 });

const arbCase = arbHeadSizedSpec.chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    batch: arbTokens(s),
    shift: fc.nat(1000),
    steps: fc.integer({ min: 0, max: 1 }),
  })
);

describe.each(MODEL_PROFILES)("the GPU evaluator, %s kernels", (profile) => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 12) })(
    "for any model and batch, the evaluator's loss is the trainer's evalLoss, bit for bit (before and after a step)",
    async ({ s, w, batch: { B, T, tokens }, shift, steps }) => {
      const mb = { tokens, targets: tokens.map((t, i) => (t + shift + i) % s.vocabSize) };
      const trainer = unwrap(await createGpuTrainer(gpu().kernels, s, { weights: w }, { profile })());
      try {
        if (steps > 0) unwrap(await trainer.step([mb], B, T, hyper(1e-2))());
        const weights = unwrap(await trainer.state()()).weights;
        const want = unwrap(await trainer.evalLoss(mb, B, T)());
        const evaluator = unwrap(await createGpuEvaluator(gpu().kernels, s, weights, { profile })());
        try {
          expect(unwrap(await evaluator.evalLoss(mb, B, T)())).toBe(want);
        } finally {
          evaluator.destroy();
        }
      } finally {
        trainer.destroy();
      }
    },
  );
});
