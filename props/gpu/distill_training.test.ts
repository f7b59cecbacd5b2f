/**
 * Distillation inside a training step (issue 8): the GPU trainer with a frozen teacher against the
 * CPU reference with the same teacher, and weight 0 against plain training. The teacher is a model
 * of the trainee's family and vocabulary, as deep or one block deeper (a reference the trainee
 * could have been inherited from), with its own random weights.
 * Allowance for the gradients: backward_model.test.ts's 64·(L + 1)·K ulps of the model's largest
 * |gradient|, with L the teacher's depth when deeper, since its logits feed the loss and their
 * rounding reaches every gradient through the soft term; the largest counts the CE and KL terms the mixed gradient
 * sums, each at its weight, since they can cancel.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { lossAndGrads } from "../../core/model/backward.ts";
import { forward } from "../../core/model/forward.ts";
import { ffnDim, type ModelSpec, withDepth } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Teacher } from "../../core/train/trainer.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { worstRatio } from "../../test/gpu/_run_kernel.ts";
import { arbSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";
import { expectBitEqual } from "./_models.ts";

const gpu = useGpu();
const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

/** A trainee (widths ≥ 4, as the other whole-model properties), a teacher, a batch and soft-loss settings. */
const arbCase = arbSpec.filter((s) => s.nEmbd >= 4).chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    batch: arbTokens(s),
    shift: fc.nat(1000),
    teacher: fc.integer({ min: 0, max: 1 }).map((extra) => withDepth(s, s.nLayer + extra)).chain((ts: ModelSpec) =>
      fc.record({ spec: fc.constant(ts), weights: arbWeights(ts) })
    ),
    weight: fc.double({ min: 0.05, max: 1, noNaN: true }).map(Math.fround),
    temperature: fc.double({ min: 0.5, max: 4, noNaN: true }).map(Math.fround),
  })
);

const oneStep = async (
  s: ModelSpec,
  w: Weights,
  teacher: Teacher | undefined,
  profile: (typeof MODEL_PROFILES)[number],
  tokens: Int32Array,
  targets: Int32Array,
  B: number,
  T: number,
) => {
  const trainer = unwrap(
    await createGpuTrainer(gpu().kernels, s, { weights: w }, { profile, ...(teacher ? { teacher } : {}) })(),
  );
  try {
    const r = unwrap(await trainer.step([{ tokens, targets }], B, T, hp)());
    return { loss: r.loss, grads: unwrap(await trainer.gradients()()), state: unwrap(await trainer.state()()) };
  } finally {
    trainer.destroy();
  }
};

describe.each(MODEL_PROFILES)("distillation in a GPU training step, %s kernels", (profile) => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 10) })(
    "with weight 0, a step gives plain training's loss, gradients, weights and moments bit for bit",
    async ({ s, w, batch: { B, T, tokens }, shift, teacher, temperature }) => {
      const targets = tokens.map((t, i) => (t + shift + i) % s.vocabSize);
      const plain = await oneStep(s, w, undefined, profile, tokens, targets, B, T);
      const kd = await oneStep(s, w, { ...teacher, kd: { weight: 0, temperature } }, profile, tokens, targets, B, T);
      expect(kd.loss).toBe(plain.loss);
      for (const [name, g] of Object.entries(plain.grads)) expectBitEqual(`gradient ${name}`, kd.grads[name]!, g);
      for (const [name, p] of Object.entries(plain.state.weights)) {
        expectBitEqual(`weight ${name}`, kd.state.weights[name]!, p);
      }
      for (const [name, m] of Object.entries(plain.state.v)) {
        expectBitEqual(`second moment ${name}`, kd.state.v[name]!, m);
      }
    },
  );

  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 15) })(
    "for any weight and temperature, every GPU gradient is within 64·(L+1)·K ulps of the largest CPU gradient, and the mixed loss agrees",
    async ({ s, w, batch: { B, T, tokens }, shift, teacher, weight, temperature }) => {
      const targets = tokens.map((t, i) => (t + shift + i) % s.vocabSize), kd = { weight, temperature };
      const got = await oneStep(s, w, { ...teacher, kd }, profile, tokens, targets, B, T);
      const logits = forward(teacher.spec, teacher.weights, tokens, B, T).logits;
      const cpu = (weight: number) =>
        lossAndGrads(s, w, tokens, targets, B, T, { logits, kd: { weight, temperature } });
      const want = cpu(weight), ce = cpu(0).grads, soft = cpu(1).grads;
      const K = Math.max(s.nEmbd, ffnDim(s), T, s.vocabSize, B * T), ulps = 64 * (teacher.spec.nLayer + 1) * K;
      // The mixed gradient is (1 − a)·CE's + a·KL's. Where the two cancel, its rounding is that of its terms, so the
      // scale is the largest (1 − a)·|CE's| + a·|KL's|, not the largest mixed gradient (which failed by 1.0005 at
      // V = 2, a = 0.898, τ = 0.5, seed 924446530: wte[7] is 0.0031, the terms of its logit's gradient about 0.05).
      const scale = Object.entries(want.grads).reduce(
        (m, [name, g]) =>
          g.reduce(
            (acc, x, i) =>
              Math.max(acc, Math.abs(x), (1 - weight) * Math.abs(ce[name]![i]!) + weight * Math.abs(soft[name]![i]!)),
            m,
          ),
        0,
      );
      for (const [name, g] of Object.entries(want.grads)) {
        const res = worstRatio(got.grads[name]!, g, new Float64Array(g.length).fill(scale), ulps);
        expect(res.ratio, `${name}[${res.at}]: GPU ${got.grads[name]![res.at]}, CPU ${g[res.at]}`).toBeLessThanOrEqual(
          1,
        );
      }
      // The loss sums B·T row losses of size up to ln V + τ²·(soft term): the same ulps of their scale.
      expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(
        ulps * 2 ** -24 * Math.max(1, want.loss) * (1 + temperature * temperature),
      );
    },
  );
});
