/**
 * Resuming GPU training from a saved optimizer state continues bit for bit: the kernels are
 * deterministic and the state (weights, AdamW moments, t) round-trips exactly through the host.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe } from "vitest";
import type { MicroBatch, OptimizerState } from "../../core/train/trainer.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";
import { expectBitEqual } from "./_models.ts";

const gpu = useGpu();
const hp = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

const train = async (
  s: Parameters<typeof createGpuTrainer>[1],
  init: Parameters<typeof createGpuTrainer>[2],
  steps: ReadonlyArray<MicroBatch>,
  B: number,
  T: number,
) => {
  const tr = unwrap(await createGpuTrainer(gpu().kernels, s, init)());
  try {
    for (const mb of steps) unwrap(await tr.step([mb], B, T, hp)());
    return unwrap(await tr.state()());
  } finally {
    tr.destroy();
  }
};

const expectSameState = (a: OptimizerState, b: OptimizerState) => {
  for (const k of ["weights", "m", "v"] as const) {
    for (const [n, x] of Object.entries(a[k])) expectBitEqual(`${k}.${n}`, b[k][n]!, x);
  }
  if (a.t !== b.t) throw new Error(`t ${a.t} vs ${b.t}`);
};

describe("GPU training resumes exactly", () => {
  test.prop([arbSpec.chain((s) =>
    fc.record({
      s: fc.constant(s),
      w: arbWeights(s),
      batches: fc.array(arbTokens(s).map((b) => b), { minLength: 2, maxLength: 4 }),
      cut: fc.nat(),
    })
  )], { numRuns: 10 })(
    "for any model and step sequence, stopping after any step and resuming from the saved state gives the uninterrupted run's weights and moments bit for bit",
    async ({ s, w, batches, cut }) => {
      const { B, T } = batches[0]!;
      const steps = batches.map((b) => {
        const tokens = b.tokens.length === B * T ? b.tokens : batches[0]!.tokens;
        return { tokens, targets: tokens.map((x, i) => (x + i) % s.vocabSize) };
      });
      const k = 1 + (cut % (steps.length - 1));
      const whole = await train(s, { weights: w }, steps, B, T);
      const half = await train(s, { weights: w }, steps.slice(0, k), B, T);
      expectSameState(whole, await train(s, half, steps.slice(k), B, T));
    },
  );
});
