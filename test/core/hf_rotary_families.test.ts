/**
 * config.json of Llama 3.x, Mistral, Qwen3 and Gemma (core/codecs/hf_rotary.ts): the real files in
 * assets/configs decode to the architecture they describe, what the code cannot run is refused by name, and
 * export writes each family's own model_type and keys, which decode back to the same spec.
 * No Qwen3 config is bundled: QWEN3 below is written from transformers' Qwen3Config fields with the numbers
 * of Qwen3-0.6B (hidden 1024, 16 heads of head_dim 128: the attention width 2048 is not the hidden width).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { decodeHfConfig, encodeHfConfig, hfExportable } from "../../core/codecs/hf_config.ts";
import { contextLimit, type ModelSpec, qDim } from "../../core/model/spec.ts";

const config = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../assets/configs/${name}.config.json`, import.meta.url), "utf8"));
const QWEN3 = {
  architectures: ["Qwen3ForCausalLM"],
  model_type: "qwen3",
  attention_bias: false,
  hidden_act: "silu",
  hidden_size: 1024,
  head_dim: 128,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const spec = (json: unknown): ModelSpec => {
  const r = decodeHfConfig(json, "config.json");
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const message = (json: unknown) => {
  const r = decodeHfConfig(json, "config.json");
  return E.isLeft(r) ? r.left.message : "decoded";
};

describe("config.json of the Llama-shaped families", () => {
  test("Llama 3.2 1B reads with its llama3 rope scaling, 8 kv heads and a tied head", () => {
    expect(spec(config("llama-3.2-1b"))).toEqual({
      _tag: "llama",
      nLayer: 16,
      nEmbd: 2048,
      nHead: 32,
      nKvHead: 8,
      hiddenDim: 8192,
      vocabSize: 128256,
      blockSize: 131072,
      normEps: 1e-5,
      ropeTheta: 500000,
      ropeStyle: "half",
      tiedHead: true,
      ropeScaling: { kind: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 },
    });
  });
  test("a linear rope_scaling reads under rope_type or the older type key; other kinds are refused by name", () => {
    const base = config("llama-3.2-1b");
    for (const key of ["rope_type", "type"]) {
      const s = spec({ ...base, rope_scaling: { [key]: "linear", factor: 4 } });
      expect(s._tag === "llama" && s.ropeScaling).toEqual({ kind: "linear", factor: 4 });
    }
    expect(message({ ...base, rope_scaling: { rope_type: "dynamic", factor: 2 } })).toMatch(
      /rope_scaling of type "dynamic" is not supported \(supported: llama3, linear\)/,
    );
    expect(message({ ...base, rope_scaling: { rope_type: "llama3", factor: 8 } })).toMatch(
      /rope_scaling\.low_freq_factor must be a number/,
    );
  });
  test("Mistral 7B reads as the mistral family with its 4096-position sliding window, which bounds the context", () => {
    const s = spec(config("mistral-7b-v0.1"));
    expect(s).toMatchObject({ family: "mistral", slidingWindow: 4096, blockSize: 32768, nKvHead: 8, tiedHead: false });
    expect(contextLimit(s)).toEqual({ limit: 4096, why: expect.stringMatching(/sliding window is 4096 positions/) });
    const none = spec({ ...config("mistral-7b-v0.1"), sliding_window: null });
    expect(none._tag === "llama" && none.slidingWindow).toBeUndefined();
    expect(contextLimit(none).limit).toBe(32768);
    const { sliding_window: _, ...absent } = config("mistral-7b-v0.1");
    expect(spec(absent)).toMatchObject({ slidingWindow: 4096 }); // MistralConfig's default
  });
  test("Gemma 2B reads with (1 + w) norms, the √C embedding, GeGLU, one kv head and a tied head (GemmaConfig's default)", () => {
    expect(spec(config("gemma-2b"))).toMatchObject({
      family: "gemma",
      nEmbd: 2048,
      nHead: 8,
      nKvHead: 1,
      hiddenDim: 16384,
      tiedHead: true,
      normKind: "rmsOffset",
      embedScale: true,
      mlpKind: "geglu",
    });
    expect(message({ ...config("gemma-2b"), hidden_activation: "gelu" })).toMatch(
      /hidden_activation "gelu" \(Gemma runs the tanh GELU, "gelu_pytorch_tanh"\) is not supported/,
    );
    expect(message({ ...config("mistral-7b-v0.1"), hidden_act: "gelu" })).toMatch(
      /hidden_act "gelu" \(expected "silu"\)/,
    );
  });
  test("Qwen3 reads with q/k norms and its own head width (Q = 2048 ≠ C = 1024); head_dim defaults to 128", () => {
    const s = spec(QWEN3);
    expect(s).toMatchObject({ family: "qwen3", qkNorm: true, headSize: 128, nKvHead: 8, tiedHead: true });
    expect(qDim(s)).toBe(2048);
    const { head_dim: _, ...noHeadDim } = QWEN3;
    expect(spec(noHeadDim)).toMatchObject({ headSize: 128 });
    expect(message({ ...QWEN3, use_sliding_window: true })).toMatch(
      /use_sliding_window true is not supported \(a window on the layers from max_window_layers on\)/,
    );
  });
  test("export writes each family's model_type and architectures, and decodes back to the same spec", () => {
    const cases = [
      [config("llama-3.2-1b"), "llama", "LlamaForCausalLM"],
      [config("mistral-7b-v0.1"), "mistral", "MistralForCausalLM"],
      [config("gemma-2b"), "gemma", "GemmaForCausalLM"],
      [QWEN3, "qwen3", "Qwen3ForCausalLM"],
    ] as const;
    for (const [json, type, arch] of cases) {
      const s = spec(json), out = encodeHfConfig(s, { bos: 1, eos: 2 }, "float32");
      expect(out).toMatchObject({ model_type: type, architectures: [arch] });
      expect(spec(JSON.parse(JSON.stringify(out)))).toEqual(s);
    }
    expect(encodeHfConfig(spec(config("gemma-2b")), {}, "float32")).toMatchObject({
      hidden_act: "gelu_pytorch_tanh",
      hidden_activation: "gelu_pytorch_tanh",
      head_dim: 256,
    });
  });
  test("a spec whose features its architecture cannot say is refused on export, naming the feature", () => {
    const llama = spec(config("llama-3.2-1b"));
    const r = hfExportable({ ...llama, qkNorm: true } as ModelSpec);
    expect(E.isLeft(r) && r.left.message).toMatch(/LlamaForCausalLM has no q\/k norms/);
    const g = hfExportable({ ...spec(config("gemma-2b")), embedScale: false } as ModelSpec);
    expect(E.isLeft(g) && g.left.message).toMatch(/GemmaForCausalLM always has a √C embedding scale/);
  });
  test("attention_bias gives Qwen3 and Gemma their q, k, v and o biases; Mistral's and a non-Llama mlp_bias are refused", () => {
    expect(spec({ ...QWEN3, attention_bias: true })).toMatchObject({ family: "qwen3", qkvBias: true, outBias: true });
    expect(spec({ ...config("gemma-2b"), attention_bias: true })).toMatchObject({ qkvBias: true, outBias: true });
    expect(message({ ...config("mistral-7b-v0.1"), attention_bias: true })).toMatch(
      /attention_bias true is not supported for mistral/,
    );
    expect(message({ ...QWEN3, mlp_bias: true })).toMatch(/mlp_bias true is not supported for qwen3/);
    const q = spec({ ...QWEN3, attention_bias: true }), out = encodeHfConfig(q, {}, "float32");
    expect(out).toMatchObject({ attention_bias: true, model_type: "qwen3" });
    expect(spec(JSON.parse(JSON.stringify(out)))).toEqual(q);
  });
  test("biases a family's config cannot say are refused on export, naming them; Qwen2 keeps a rope scaling", () => {
    const mistral = hfExportable({ ...spec(config("mistral-7b-v0.1")), qkvBias: true, outBias: true } as ModelSpec);
    expect(E.isLeft(mistral) && mistral.left.message).toMatch(
      /^Cannot write a mistral config\.json for attention biases/,
    );
    const qwen2 = spec(config("qwen2.5-0.5b")), scaled = spec(config("llama-3.2-1b"));
    if (scaled._tag !== "llama" || scaled.ropeScaling === undefined) {
      throw new Error("Llama 3.2 read without its scaling");
    }
    const r = hfExportable({ ...qwen2, outBias: true } as ModelSpec);
    expect(E.isLeft(r) && r.left.message).toMatch(/^Cannot write a qwen2 config\.json for an attention output bias/);
    // Qwen2Config takes a rope_scaling as LlamaConfig does (Qwen2's rotary reads transformers' rope init functions)
    const scaledQwen = { ...qwen2, ropeScaling: scaled.ropeScaling } as ModelSpec;
    const out = encodeHfConfig(scaledQwen, {}, "bfloat16");
    expect(out).toMatchObject({ model_type: "qwen2", rope_scaling: { rope_type: "llama3" } });
    expect(spec(JSON.parse(JSON.stringify(out)))).toEqual(scaledQwen);
  });
});
