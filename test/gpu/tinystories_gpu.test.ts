/**
 * The bundled TinyStories-656K (a Hugging Face Llama: half-split rotary, GQA 8/4, tied head) on the
 * GPU: its logits track the CPU reference's within the same allowance as stories260K's, and
 * KV-cache greedy decoding on the GPU gives the independent numpy run's first ids.
 * @module
 */
import { beforeAll, describe, expect, test } from "vitest";
import { loadModel, type Model } from "../../adapters/formats/models.ts";
import { forward } from "../../core/model/forward.ts";
import { argmax } from "../../core/generate/sample.ts";
import { createGpuModel, type GpuModel } from "../../gpu/model/model.ts";
import { TINY656K_DIR, TINY656K_GREEDY_PREFIX } from "../assets.ts";
import { unwrap, useGpu } from "./_device.ts";
import { rowMaxAbs, worstRatio } from "./_run_kernel.ts";

const gpu = useGpu();
let model: Model, onGpu: GpuModel;
beforeAll(async () => {
  model = unwrap(await loadModel(TINY656K_DIR)());
  onGpu = unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights)());
});

describe("tinystories656K on the GPU", () => {
  test("a batch of 4 × 128 tokens: GPU logits within 64·(L+1)·max(C, F, T) ulps of each row's largest |logit| of the CPU's", async () => {
    const B = 4, T = 128, V = model.spec.vocabSize;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % V);
    const got = unwrap(await onGpu.forward(tokens, B, T)()).logits;
    const want = forward(model.spec, model.weights, tokens, B, T).logits;
    const r = worstRatio(got, want, rowMaxAbs(want, V), 64 * (model.spec.nLayer + 1) * 384);
    expect(r.ratio, `logit ${r.at}: ${got[r.at]} vs ${want[r.at]}`).toBeLessThanOrEqual(1);
  });
  test("greedy decoding from BOS gives the independent numpy forward's first 30 ids", async () => {
    const decoder = unwrap(onGpu.decoder());
    const ids: number[] = [];
    let token = 1;
    for (let i = 0; i < TINY656K_GREEDY_PREFIX.length; i++) {
      ids.push(token = argmax(unwrap(await decoder.step(token)())));
    }
    decoder.destroy();
    expect(ids).toEqual(TINY656K_GREEDY_PREFIX);
  });
});
