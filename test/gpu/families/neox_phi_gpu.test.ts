/**
 * Tiny random Pythia (GPT-NeoX) and Phi-2 checkpoints (test/core/families/_tiny_neox_phi.ts) on WebGPU, in every kernel
 * profile: logits track the independent float64 reading of transformers (test/core/families/_hf_neox_phi_reference.ts) within
 * 64·(L + 1)·max(C, F, T) ulps of each row's largest |logit| (as props/gpu/forward_model.test.ts), KV-cache greedy
 * decoding gives its ids (the CPU's, test/core/families/neox_phi_checkpoints.test.ts), a target inherits the first block bit for
 * bit on the device, and training steps on one batch lower its loss.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadModel, type Model } from "../../../adapters/formats/models.ts";
import { argmax } from "../../../core/generate/sample.ts";
import { ffnDim } from "../../../core/model/spec.ts";
import { inheritWeights, planInheritance } from "../../../core/surgery/plan.ts";
import { createGpuModel } from "../../../gpu/model/model.ts";
import { createGpuTrainer } from "../../../gpu/train/trainer.ts";
import { expectBitEqual } from "../../../props/gpu/_models.ts";
import { hfReferenceGreedy, hfReferenceLogits } from "../../core/families/_hf_neox_phi_reference.ts";
import { TINY_PHI, TINY_PYTHIA, writeTinyCheckpoint } from "../../core/families/_tiny_neox_phi.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../_device.ts";
import { rowMaxAbs, worstRatio } from "../_run_kernel.ts";

const gpu = useGpu();
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};
const PROMPT = [3, 17, 5, 29, 11, 0, 38, 21], STEPS = 8;
const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClip: 1 };

const CASES = [
  ["Pythia (GPT-NeoX, parallel residual)", TINY_PYTHIA],
  ["Pythia (GPT-NeoX, sequential residual)", { ...TINY_PYTHIA, use_parallel_residual: false }],
  ["Phi-2", TINY_PHI],
] as const;

describe.each(CASES)("a tiny random %s checkpoint on WebGPU", (_, config) => {
  let ck: Awaited<ReturnType<typeof writeTinyCheckpoint>>, model: Model;
  beforeAll(async () => {
    ck = await writeTinyCheckpoint(config, 7);
    model = right(await loadModel(ck.dir)());
  });
  afterAll(() => rmSync(ck.dir, { recursive: true, force: true }));

  describe.each(MODEL_PROFILES)("%s kernels", (profile) => {
    test("logits track the independent reading of transformers, and greedy KV-cache decoding gives its ids", async () => {
      const m = unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights, { profile })());
      const decoder = unwrap(m.decoder());
      try {
        const s = model.spec, T = PROMPT.length;
        const got = unwrap(await m.forward(Int32Array.from(PROMPT), 1, T)()).logits;
        const want = Float32Array.from(hfReferenceLogits(ck.tensors, ck.arch, PROMPT));
        const r = worstRatio(
          got,
          want,
          rowMaxAbs(want, s.vocabSize),
          64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T),
        );
        expect(r.ratio, `logit ${r.at}: ${got[r.at]} vs ${want[r.at]}`).toBeLessThanOrEqual(1);
        let last = new Float32Array(0) as Float32Array;
        for (const id of PROMPT) last = unwrap(await decoder.step(id)());
        const ids: number[] = [];
        for (let k = 0; k < STEPS; k++) {
          ids.push(argmax(last));
          last = unwrap(await decoder.step(ids[k]!)());
        }
        expect(ids).toEqual(hfReferenceGreedy(ck.tensors, ck.arch, PROMPT, STEPS));
      } finally {
        decoder.destroy();
        m.destroy();
      }
    });

    test("a target of the first block reproduces the reference's block on the device bit for bit", async () => {
      const plan = right(planInheritance(model.spec, { _tag: "first", n: 1 }));
      const [ref, target] = [
        unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights, { profile })()),
        unwrap(await createGpuModel(gpu().kernels, plan.target, inheritWeights(plan, model.weights), { profile })()),
      ];
      try {
        const T = PROMPT.length, got = unwrap(await target.forward(Int32Array.from(PROMPT), 1, T, { stream: true })());
        expectBitEqual("block 0", got.stream![1]!, unwrap(await ref.blockForward(0, got.stream![0]!, 1, T)()));
      } finally {
        ref.destroy();
        target.destroy();
      }
    });

    test("three AdamW steps on one batch lower its loss", async () => {
      const trainer = unwrap(
        await createGpuTrainer(gpu().kernels, model.spec, { weights: model.weights }, { profile })(),
      );
      try {
        const tokens = Int32Array.from([...PROMPT, ...PROMPT.map((x) => (x + 1) % 40)]);
        const targets = tokens.map((x) => (x * 3 + 1) % 40);
        const losses: number[] = [];
        for (let k = 0; k < 4; k++) losses.push(unwrap(await trainer.step([{ tokens, targets }], 2, 8, hp)()).loss);
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[3]!).toBeLessThan(losses[0]!);
      } finally {
        trainer.destroy();
      }
    });
  });
});
