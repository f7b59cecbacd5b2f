/**
 * The bundled stories260K on the GPU (lavapipe): greedy decoding reproduces run.c's golden ids,
 * KV-cache decoding equals the full forward bit for bit, and the full forward tracks the CPU.
 * @module
 */
import { beforeAll, describe, expect, test } from "vitest";
import { type LoadedModel, loadLlama2c } from "../../adapters/formats/llama2c.ts";
import { forward } from "../../core/model/forward.ts";
import { meanCrossEntropy } from "../../core/ops/cross_entropy.ts";
import { argmax } from "../../core/generate/sample.ts";
import { createGpuModel, type GpuModel } from "../../gpu/model/model.ts";
import { expectBitEqual } from "../../props/gpu/_models.ts";
import { GOLDEN_IDS, STORIES_BIN } from "../assets.ts";
import { unwrap, useGpu } from "./_device.ts";
import { rowMaxAbs, worstRatio } from "./_run_kernel.ts";

const gpu = useGpu();
let model: LoadedModel, onGpu: GpuModel;
beforeAll(async () => {
  model = unwrap(await loadLlama2c(STORIES_BIN)());
  onGpu = unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights)());
});

describe("stories260K on the GPU", () => {
  test("greedy decoding from BOS reproduces run.c's 256 ids", async () => {
    const decoder = unwrap(onGpu.decoder());
    const ids: number[] = [];
    let token = 1;
    for (let i = 0; i < 256; i++) ids.push(token = argmax(unwrap(await decoder.step(token)())));
    decoder.destroy();
    expect(ids).toEqual(GOLDEN_IDS);
  });

  test("KV-cache decoding gives the full forward's logits at every position, bit for bit", async () => {
    const tokens = Int32Array.from([1, ...GOLDEN_IDS.slice(0, 39)]), V = model.spec.vocabSize;
    const full = unwrap(await onGpu.forward(tokens, 1, tokens.length)()).logits;
    const decoder = unwrap(onGpu.decoder());
    for (let t = 0; t < tokens.length; t++) {
      expectBitEqual(`position ${t}`, unwrap(await decoder.step(tokens[t]!)()), full.slice(t * V, (t + 1) * V));
    }
    decoder.destroy();
  });

  test("a batch of 8 × 256 tokens: GPU logits within 64·(L+1)·T ulps of each row's largest |logit| of the CPU's, and the loss within twice that", async () => {
    const B = 8, T = 256, V = model.spec.vocabSize;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => GOLDEN_IDS[(i * 7) % 256]!);
    const targets = tokens.map((_, i) => GOLDEN_IDS[(i * 7 + 1) % 256]!);
    const got = unwrap(await onGpu.forward(tokens, B, T, { targets })());
    const want = forward(model.spec, model.weights, tokens, B, T).logits;
    const rowMax = rowMaxAbs(want, V);
    expect(worstRatio(got.logits, want, rowMax, 64 * (model.spec.nLayer + 1) * T).ratio).toBeLessThanOrEqual(1);
    // The loss: a mean of B·T row losses, each within (V + 8) ulps of its terms on top of the logits' error.
    const cpuLoss = meanCrossEntropy(want, targets, B * T, V);
    expect(Math.abs(got.loss! - cpuLoss)).toBeLessThanOrEqual(
      64 * (model.spec.nLayer + 1) * T * 2 ** -24 * rowMax.reduce((a, b) => Math.max(a, b), 0) * 2,
    );
  });
});
