import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { loadHfModel, saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { loadDirTensors, saveDirTensors } from "../../adapters/formats/safetensors_index.ts";
import { encodeHfConfig } from "../../core/codecs/hf_config.ts";
import { forward } from "../../core/model/forward.ts";
import { toHfTensors } from "../../core/codecs/hf_layout.ts";
import { permuteRotaryRows, transpose, unpermuteRotaryRows } from "../../core/model/relayout.ts";
import { headDim, kvHeads } from "../../core/model/spec.ts";
import { freshDir, right } from "../../test/tmp.ts";
import { arbGpt2Spec, arbHfLlamaSpec, arbNeoxSpec, arbPhiSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";

const arbModel = fc.oneof(arbGpt2Spec, arbHfLlamaSpec, arbNeoxSpec, arbPhiSpec).chain((spec) =>
  fc.record({ spec: fc.constant(spec), weights: arbWeights(spec), batch: arbTokens(spec) })
);
const logits = (
  m: { spec: Parameters<typeof forward>[0]; weights: Parameters<typeof forward>[1] },
  b: { B: number; T: number; tokens: Int32Array },
) => forward(m.spec, m.weights, b.tokens, b.B, b.T).logits;

describe("Hugging Face export then import", () => {
  test.prop([arbModel], { numRuns: 30 })(
    "for any model of any family (with the features its config can say: GPT-NeoX and Phi included), export then import gives the same spec, bit-identical weights and bit-identical logits",
    async ({ spec, weights, batch }) => {
      const out = join(freshDir(), "m");
      right(await saveHfModel(out, { spec, weights, dtype: "F32", bos: 0, eos: 0 })());
      const back = right(await loadHfModel(out)());
      expect(back.spec).toEqual(spec);
      expect(back.weights).toEqual(weights);
      expect(logits(back, batch)).toEqual(logits({ spec, weights }, batch));
    },
  );

  test.prop([
    arbHfLlamaSpec.chain((s) => fc.integer({ min: 1, max: 3 }).map((k) => ({ ...s, headSize: 2 * k }))).chain((spec) =>
      fc.record({ spec: fc.constant(spec), weights: arbWeights(spec), batch: arbTokens(spec) })
    ),
  ], { numRuns: 20 })(
    "for any Llama whose heads have a width of their own, config.json carries head_dim and export then import gives the same heads, bit-identical weights and logits",
    async ({ spec, weights, batch }) => {
      const out = join(freshDir(), "m");
      right(await saveHfModel(out, { spec, weights, dtype: "F32" })());
      const back = right(await loadHfModel(out)()), { headSize, ...rest } = spec;
      expect(back.spec).toEqual(headSize * spec.nHead === spec.nEmbd ? rest : spec);
      // Qwen3Config and GemmaConfig default head_dim to 128 and 256, so their configs always carry it
      const always = spec.family === "qwen3" || spec.family === "gemma";
      expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).head_dim).toBe(
        headSize * spec.nHead === spec.nEmbd && !always ? undefined : headSize,
      );
      expect(back.weights).toEqual(weights);
      expect(logits(back, batch)).toEqual(logits({ spec, weights }, batch));
    },
  );

  test.prop([
    arbGpt2Spec.map((s) => ({ ...s, headSize: s.nEmbd / s.nHead + 1 })).chain((spec) =>
      fc.record({ spec: fc.constant(spec), weights: arbWeights(spec) })
    ),
  ], { numRuns: 5 })(
    "for any GPT-2 whose heads are not n_embd / n_head wide, saving is one error naming GPT2Config's missing head_dim, and nothing is written",
    async ({ spec, weights }) => {
      const out = join(freshDir(), "m");
      const r = await saveHfModel(out, { spec, weights, dtype: "F32" })();
      expect(E.isLeft(r) && r.left.message).toMatch(/^Cannot write a GPT-2 config\.json .*GPT2Config has no head_dim/);
      expect(existsSync(out)).toBe(false);
    },
  );

  test.prop([
    arbHfLlamaSpec.map((s) => ({ ...s, ropeStyle: "interleaved" as const })).chain((spec) =>
      fc.record({ spec: fc.constant(spec), weights: arbWeights(spec), batch: arbTokens(spec) })
    ),
  ], { numRuns: 30 })(
    "for any interleaved-rotary Llama, what transformers sees (permuted q/k and their biases, rotate_half, our key ignored) gives the same logits within 1e-5 (f32 summation order), and un-permuting gives the weights back bit for bit",
    async ({ spec, weights, batch }) => {
      const out = join(freshDir(), "m");
      right(await saveHfModel(out, { spec, weights, dtype: "F32" })());
      const cfgPath = join(out, "config.json"), cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
      delete cfg.inheritune_rope;
      writeFileSync(cfgPath, JSON.stringify(cfg));
      const asHf = right(await loadHfModel(out)());
      expect(asHf.spec).toEqual({ ...spec, ropeStyle: "half" });
      const D = headDim(spec), C = spec.nEmbd;
      for (let i = 0; i < spec.nLayer; i++) {
        expect(unpermuteRotaryRows(asHf.weights[`h.${i}.wq`]!, spec.nHead, D, C)).toEqual(weights[`h.${i}.wq`]);
        expect(unpermuteRotaryRows(asHf.weights[`h.${i}.wk`]!, kvHeads(spec), D, C)).toEqual(weights[`h.${i}.wk`]);
      }
      const a = logits(asHf, batch), b = logits({ spec, weights }, batch);
      a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i]!))));
    },
  );

  test.prop([arbGpt2Spec.chain((spec) => fc.record({ spec: fc.constant(spec), weights: arbWeights(spec) }))], {
    numRuns: 15,
  })(
    "for any GPT-2, Conv1D weights are stored transposed, and names without the transformer. prefix (plus attn.bias buffers) load the same",
    async ({ spec, weights }) => {
      const hf = toHfTensors(spec, weights);
      const fc0 = hf.find((t) => t.name === "transformer.h.0.mlp.c_fc.weight")!;
      expect(fc0.shape).toEqual([spec.nEmbd, spec.nInner]);
      expect(fc0.data).toEqual(transpose(weights["h.0.fcw"]!, spec.nInner, spec.nEmbd));
      const d = freshDir();
      const bare = [...hf.map((t) => ({ ...t, name: t.name.replace(/^transformer\./, "") })), {
        name: "h.0.attn.bias",
        shape: [1],
        data: new Float32Array(1),
      }];
      right(await saveDirTensors(d, bare, "F32", {})());
      writeFileSync(join(d, "config.json"), JSON.stringify(encodeHfConfig(spec, {}, "float32")));
      expect(right(await loadHfModel(d)()).weights).toEqual(weights);
      expect(right(await loadDirTensors(d)()).tensors.size).toBe(bare.length);
    },
  );

  test.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })])(
    "for any heads, head width and columns, the rotary row permutation is a bijection undone by its inverse (HF's permute)",
    (heads, half, cols) => {
      const D = 2 * half, w = Float32Array.from({ length: heads * D * cols }, (_, i) => i);
      const p = permuteRotaryRows(w, heads, D, cols);
      expect([...p].sort((a, b) => a - b)).toEqual([...w]);
      expect(unpermuteRotaryRows(p, heads, D, cols)).toEqual(w);
      expect(p[half * cols]).toBe(w[cols]); // row 1 (pair 0, member 1) moves to row D/2
    },
  );
});
