/**
 * Llama 3.x (llama3 rope scaling, untied), Mistral (sliding window), Qwen3 (q/k norms, Q ≠ C, tied) and Gemma
 * ((1 + w) norms, √C embedding, GeGLU, one kv head, tied) end to end on tiny random checkpoints in HF layout
 * built here (test/hf_families.ts): the loader reads each family's config.json and tensor names; the CPU
 * reference's logits track an independent float64 forward written from transformers' conventions; greedy
 * decoding gives the same ids on the CPU, on WebGPU in every kernel profile, and in that float64 forward; a
 * Mistral context past its window is refused with the reason; export re-imports bit for bit as the same family.
 * Allowance against the float64 forward: 1e-4 of each row's largest |logit|: f32 rounding through 2 blocks of
 * sums over at most 32 terms is ~1e-6 relative, so this catches any convention (pairing, scaling, norm order)
 * being wrong, which moves logits by O(1), while leaving f32's own error far inside.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadHfModel, saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { argmax } from "../../core/generate/sample.ts";
import { lossAndGrads } from "../../core/model/backward.ts";
import { ffnDim } from "../../core/model/spec.ts";
import { forward } from "../../core/model/forward.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { createGpuModel } from "../../gpu/model/model.ts";
import { FAMILY_CONFIGS, type FamilyName, referenceLogits, writeFamilyCheckpoint } from "../hf_families.ts";
import { freshDir, right } from "../tmp.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "./_device.ts";
import { rowMaxAbs, worstRatio } from "./_run_kernel.ts";

const gpu = useGpu();
const STEPS = 12; // greedy ids from token 1
const FEATURES: Readonly<Record<FamilyName, Record<string, unknown>>> = {
  llama3: { ropeScaling: { kind: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 32 } },
  mistral: { family: "mistral", slidingWindow: 32 },
  qwen3: { family: "qwen3", qkNorm: true, headSize: 8, tiedHead: true },
  gemma: { family: "gemma", normKind: "rmsOffset", embedScale: true, mlpKind: "geglu", tiedHead: true, nKvHead: 1 },
};

/** Greedy ids of the float64 reading: the whole prefix re-run each step. */
const referenceGreedy = (c: Record<string, unknown>, t: Parameters<typeof referenceLogits>[1]) => {
  const ids = [1], V = c["vocab_size"] as number;
  for (let s = 0; s < STEPS; s++) ids.push(argmax(referenceLogits(c, t, ids).subarray((ids.length - 1) * V)));
  return ids.slice(1);
};

describe.each(Object.keys(FAMILY_CONFIGS) as FamilyName[])("a tiny %s checkpoint in Hugging Face layout", (family) => {
  test("loads with its family's features, tracks the float64 reading of transformers, and decodes greedily to the same ids on the CPU, on WebGPU in every kernel profile and in that reading", async () => {
    const dir = freshDir(), c = FAMILY_CONFIGS[family], hf = await writeFamilyCheckpoint(dir, family);
    const m = right(await loadHfModel(dir)());
    expect(m.spec).toMatchObject({ _tag: "llama", ...FEATURES[family] });
    const V = m.spec.vocabSize, T = 32, tokens = Int32Array.from({ length: T }, (_, i) => (i * 17 + 3) % V);
    const want = referenceLogits(c, hf, [...tokens]), got = forward(m.spec, m.weights, tokens, 1, T).logits;
    const r = worstRatio(got, want, rowMaxAbs(want, V), 1e-4 / 2 ** -24);
    expect(r.ratio, `logit ${r.at}: ${got[r.at]} vs ${want[r.at]}`).toBeLessThanOrEqual(1);

    const expected = referenceGreedy(c, hf);
    let st = startDecoding(m.spec), token = 1;
    const cpu: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const out = decodeStep(m.spec, m.weights, st, token);
      [st, token] = [out.state, argmax(out.logits)];
      cpu.push(token);
    }
    expect(cpu).toEqual(expected);
    for (const profile of MODEL_PROFILES) {
      const g = unwrap(await createGpuModel(gpu().kernels, m.spec, m.weights, { profile })());
      const decoder = unwrap(g.decoder()), ids: number[] = [];
      token = 1;
      for (let s = 0; s < STEPS; s++) ids.push(token = argmax(unwrap(await decoder.step(token)())));
      decoder.destroy();
      g.destroy();
      expect(ids, `${profile} kernels`).toEqual(expected);
    }
  });

  test("trains on WebGPU in every kernel profile: every gradient within the whole-model allowance of the CPU backward's (props/gpu/backward_model.test.ts), and steps lower the loss on a repeated batch", async () => {
    const dir = freshDir();
    await writeFamilyCheckpoint(dir, family);
    const { spec, weights } = right(await loadHfModel(dir)()), V = spec.vocabSize, B = 2, T = 16;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 13 + 5) % V);
    const targets = tokens.map((t, i) => (t * 7 + i) % V);
    const want = lossAndGrads(spec, weights, tokens, targets, B, T);
    const K = Math.max(spec.nEmbd, ffnDim(spec), T, V, B * T), ulps = 64 * (spec.nLayer + 1) * K;
    const scale = Object.values(want.grads).reduce((m, g) => g.reduce((a, x) => Math.max(a, Math.abs(x)), m), 0);
    const opt = { lr: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClip: 0 };
    for (const profile of MODEL_PROFILES) {
      const trainer = unwrap(await createGpuTrainer(gpu().kernels, spec, { weights }, { profile })());
      try {
        const first = unwrap(await trainer.step([{ tokens, targets }], B, T, opt)());
        const got = unwrap(await trainer.gradients()());
        for (const [name, g] of Object.entries(want.grads)) {
          const res = worstRatio(got[name]!, g, new Float64Array(g.length).fill(scale), ulps);
          expect(res.ratio, `${profile}: ${name}[${res.at}]: GPU ${got[name]![res.at]}, CPU ${g[res.at]}`)
            .toBeLessThanOrEqual(1);
        }
        let loss = first.loss;
        for (let k = 0; k < 8; k++) {
          loss = unwrap(await trainer.step([{ tokens, targets }], B, T, { ...opt, lr: 1e-2 })()).loss;
        }
        expect(loss, profile).toBeLessThan(first.loss);
      } finally {
        trainer.destroy();
      }
    }
  });

  test("exports as its own architecture and re-imports bit for bit", async () => {
    const dir = freshDir();
    await writeFamilyCheckpoint(dir, family);
    const m = right(await loadHfModel(dir)()), out = join(freshDir(), "out");
    right(await saveHfModel(out, { spec: m.spec, weights: m.weights, dtype: "F32" })());
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(cfg.model_type).toBe(FAMILY_CONFIGS[family]["model_type"]);
    expect(cfg.architectures).toEqual(FAMILY_CONFIGS[family]["architectures"]);
    const back = right(await loadHfModel(out)());
    expect(back.spec).toEqual(m.spec);
    expect(back.weights).toEqual(m.weights);
  });
});

test("a Mistral context longer than its sliding window is refused on the GPU, naming the window", async () => {
  const dir = freshDir();
  await writeFamilyCheckpoint(dir, "mistral");
  const m = right(await loadHfModel(dir)()), V = m.spec.vocabSize;
  const g = unwrap(await createGpuModel(gpu().kernels, m.spec, m.weights)());
  try {
    const ok = await g.forward(Int32Array.from({ length: 32 }, (_, i) => i % V), 1, 32)();
    expect(E.isRight(ok)).toBe(true);
    const r = await g.forward(Int32Array.from({ length: 33 }, (_, i) => i % V), 1, 33)();
    expect(E.isLeft(r) && r.left.message).toMatch(/at most 32 positions \(the model's sliding window is 32 positions/);
  } finally {
    g.destroy();
  }
});
