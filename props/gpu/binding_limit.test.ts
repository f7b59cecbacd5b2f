/**
 * The binding limit changes no bit (issue 15): a model's big tensors (wte, the LM head and every
 * weight, their Wᵀ, gradients and AdamW moments, the logits) are bound as views of at most
 * `maxBindingBytes`, and every run gives the same bits with that limit forced down to 1 KiB (the
 * smallest that holds one aligned run of the clip's 256-value chunks) as with the adapter's own.
 * Models are the usual random tiny ones, widened to a vocabulary of 64–96 and C ≥ 6 so that wte,
 * the head, the gradients and moments and the logits really split; each case asserts they do.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { withDepth } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { MicroBatch, OptimizerState, Teacher } from "../../core/train/trainer.ts";
import { splitElements, splitForBinding } from "../../gpu/engine/split.ts";
import { SUMSQ_CHUNK } from "../../gpu/kernels/adamw.ts";
import type { KernelProfile } from "../../gpu/kernels/profile.ts";
import { createGpuEvaluator } from "../../gpu/train/evaluator.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbSpec, arbWeights } from "../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "./_models.ts";

const gpu = useGpu();
const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };
const B = 2;

/** 1 KiB where offsets align to at most 1 KiB: the clip's chunk of 256 f32s, rounded up to the alignment. */
const forcedLimit = (): number => Math.max(4 * SUMSQ_CHUNK, gpu().device.limits.minStorageBufferOffsetAlignment);

const arbCase = arbSpec.filter((s) => s.nEmbd >= 6).chain((base) =>
  fc.integer({ min: 64, max: 96 }).chain((vocabSize) => {
    const s = { ...base, vocabSize };
    return fc.record({
      s: fc.constant(s),
      w: arbWeights(s),
      profile: fc.constantFrom(...MODEL_PROFILES),
      T: fc.integer({ min: 4, max: s.blockSize }),
      seed: fc.nat(1 << 20),
    });
  })
);
type Case = typeof arbCase extends fc.Arbitrary<infer C> ? C : never;

/** K micro-batches of (B, T) tokens and shifted targets, drawn from the seed. */
const microBatches = ({ s, T, seed }: Case, K: number): MicroBatch[] =>
  Array.from({ length: K }, (_, k) => {
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (seed * 7 + 31 * k + i * i) % s.vocabSize);
    return { tokens, targets: tokens.map((t, i) => (t + seed + i) % s.vocabSize) };
  });

/** The case really splits under the forced limit: wte (and so the tied or untied head), its gradient, the logits. */
const expectSplits = ({ s, T }: Case, limit: number): void => {
  const align = gpu().device.limits.minStorageBufferOffsetAlignment;
  const rows = (n: number, rowElements: number) =>
    splitForBinding({ rows: n, rowElements, bytesPerElement: 4, maxBindingBytes: limit, offsetAlignment: align });
  const flat = splitElements({
    elements: s.vocabSize * s.nEmbd,
    unitElements: SUMSQ_CHUNK,
    bytesPerElement: 4,
    maxBindingBytes: limit,
    offsetAlignment: align,
  });
  expect(rows(s.vocabSize, s.nEmbd).length, "views of wte").toBeGreaterThan(1);
  expect(flat.length, "views of wte's gradient and moments").toBeGreaterThan(1);
  expect(Math.ceil((B * T * s.vocabSize * 4) / limit), "logits chunks").toBeGreaterThan(1);
};

const expectSameState = (got: OptimizerState, want: OptimizerState): void => {
  for (const k of ["weights", "m", "v"] as const) {
    for (const [n, x] of Object.entries(want[k])) expectBitEqual(`${k}.${n}`, got[k][n]!, x);
  }
  expect(got.t).toBe(want.t);
};

/** Logits of greedy decoding: the prompt, then `n` tokens each the argmax of the last logits. */
const greedy = async (c: Case, limit: number | undefined, prompt: Int32Array, n: number): Promise<Float32Array[]> => {
  const m = await gpuModel(gpu(), c.s, c.w, { profile: c.profile, ...(limit ? { maxBindingBytes: limit } : {}) });
  const d = unwrap(m.decoder());
  try {
    const out: Float32Array[] = [];
    let next = prompt[0]!;
    for (let i = 0; i < prompt.length + n && i < c.s.blockSize; i++) {
      const logits = unwrap(await d.step(i < prompt.length ? prompt[i]! : next)());
      out.push(logits);
      next = logits.reduce((best, x, j) => (x > logits[best]! ? j : best), 0);
    }
    return out;
  } finally {
    d.destroy();
    m.destroy();
  }
};

/** Forward logits and loss, the evaluator's loss, and greedy decoding's logits at one limit. */
const inference = async (c: Case, limit: number | undefined) => {
  const [mb] = microBatches(c, 1), opts = { profile: c.profile, ...(limit ? { maxBindingBytes: limit } : {}) };
  const m = await gpuModel(gpu(), c.s, c.w, opts);
  const ev = unwrap(await createGpuEvaluator(gpu().kernels, c.s, c.w, opts)());
  try {
    const fwd = unwrap(await m.forward(mb!.tokens, B, c.T, { targets: mb!.targets })());
    const evalLoss = unwrap(await ev.evalLoss(mb!, B, c.T)());
    return { fwd, evalLoss, decoded: await greedy(c, limit, mb!.tokens.subarray(0, 3), 3) };
  } finally {
    ev.destroy();
    m.destroy();
  }
};

/** Two steps of K = 2 accumulated micro-batches, the eval loss after them, then a third step resumed from the state. */
const training = async (c: Case, limit: number | undefined, teacher?: Teacher) => {
  const opts = { profile: c.profile as KernelProfile, ...(limit ? { maxBindingBytes: limit } : {}) };
  const make = async (init: OptimizerState | { weights: Weights }) =>
    unwrap(await createGpuTrainer(gpu().kernels, c.s, init, { ...opts, ...(teacher ? { teacher } : {}) })());
  const mbs = microBatches(c, 6), tr = await make({ weights: c.w });
  try {
    const steps = [
      unwrap(await tr.step(mbs.slice(0, 2), B, c.T, hp)()),
      unwrap(await tr.step(mbs.slice(2, 4), B, c.T, hp)()),
    ];
    const evalLoss = unwrap(await tr.evalLoss(mbs[0]!, B, c.T)()), saved = unwrap(await tr.state()());
    const resumed = await make(saved);
    try {
      const last = unwrap(await resumed.step(mbs.slice(4), B, c.T, hp)());
      return { steps: [...steps, last], evalLoss, state: unwrap(await resumed.state()()) };
    } finally {
      resumed.destroy();
    }
  } finally {
    tr.destroy();
  }
};

type Trained = Awaited<ReturnType<typeof training>>;
const expectSameTraining = (got: Trained, want: Trained): void => {
  expect(got.steps).toEqual(want.steps); // losses and gradient norms, as f64 read from f32: bit-equal or unequal
  expect(got.evalLoss).toBe(want.evalLoss);
  expectSameState(got.state, want.state);
};

describe("a binding limit forced down to 1 KiB", () => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 4), endOnFailure: true })(
    "gives the adapter's own limit's forward logits and loss, evaluator loss and greedy decoding, bit for bit",
    async (c) => {
      const limit = forcedLimit();
      expectSplits(c, limit);
      const [own, forced] = [await inference(c, undefined), await inference(c, limit)];
      expectBitEqual("logits", forced.fwd.logits, own.fwd.logits);
      expect(forced.fwd.loss).toBe(own.fwd.loss);
      expect(forced.evalLoss).toBe(own.evalLoss);
      expect(forced.decoded.length).toBe(own.decoded.length);
      own.decoded.forEach((l, i) => expectBitEqual(`decoded logits ${i}`, forced.decoded[i]!, l));
    },
  );

  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 4), endOnFailure: true })(
    "gives the same losses, gradient norms, eval loss, weights and moments over accumulated steps and a resume",
    async (c) => {
      const limit = forcedLimit();
      expectSplits(c, limit);
      expectSameTraining(await training(c, limit), await training(c, undefined));
    },
  );

  test.prop([arbCase.chain((c) => arbWeights(withDepth(c.s, c.s.nLayer + 1)).map((tw) => ({ c, tw })))], {
    numRuns: Number(process.env.RUNS ?? 3),
  })(
    "gives the same distillation from a one-block-deeper teacher, bit for bit",
    async ({ c, tw }) => {
      const teacher: Teacher = {
        spec: withDepth(c.s, c.s.nLayer + 1),
        weights: tw,
        kd: { weight: 0.5, temperature: 2 },
      };
      expectSameTraining(await training(c, forcedLimit(), teacher), await training(c, undefined, teacher));
    },
  );
});
