import * as E from "fp-ts/lib/Either.js";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { decodeHfConfig, encodeHfConfig, hfExportable } from "../../core/codecs/hf_config.ts";
import { paramCount } from "../../core/model/tensors.ts";

const tinyStories = JSON.parse(
  readFileSync(new URL("../../assets/tinystories656K/config.json", import.meta.url), "utf8"),
);
// The config.json of Hugging Face's "gpt2" (124M), as published.
const gpt2 = {
  activation_function: "gelu_new",
  architectures: ["GPT2LMHeadModel"],
  model_type: "gpt2",
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  layer_norm_epsilon: 1e-5,
  vocab_size: 50257,
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
};

const decoded = (json: unknown) => decodeHfConfig(json, "config.json");
const message = (json: unknown) => {
  const r = decoded(json);
  return E.isLeft(r) ? r.left.message : "decoded";
};

describe("Hugging Face config.json decoding", () => {
  test("the bundled TinyStories-656K config reads as a 2-block GQA Llama with a tied head and half-split rotary", () => {
    expect(decoded(tinyStories)).toEqual(
      E.right({
        _tag: "llama",
        nLayer: 2,
        nEmbd: 128,
        nHead: 8,
        nKvHead: 4,
        hiddenDim: 384,
        vocabSize: 2048,
        blockSize: 512,
        normEps: 1e-6,
        ropeTheta: 10000,
        ropeStyle: "half",
        tiedHead: true,
      }),
    );
  });
  test("GPT-2 small's config reads with a 4C MLP and has the published 124M parameters", () => {
    const s = decoded(gpt2);
    expect(E.isRight(s) && s.right).toMatchObject({
      _tag: "gpt2",
      nLayer: 12,
      nEmbd: 768,
      nInner: 3072,
      blockSize: 1024,
    });
    expect(E.isRight(s) && paramCount(s.right)).toBe(124_439_808);
  });
  test("an unknown model_type is refused, naming it and the supported ones", () => {
    expect(message({ ...gpt2, model_type: "mamba" })).toMatch(/unknown model_type "mamba"/);
    const r = decoded({ ...gpt2, model_type: "mamba" });
    expect(E.isLeft(r) && r.left.hint).toMatch(/gpt2, llama/);
    expect(message(42)).toMatch(/unknown model_type undefined/);
  });
  test("missing or wrongly typed fields are named", () => {
    expect(message({ ...tinyStories, hidden_size: "128" })).toMatch(/hidden_size: expected PositiveInt, got "128"/);
    expect(message({ ...gpt2, n_layer: undefined })).toMatch(/n_layer: expected PositiveInt/);
  });
  test("shapes that disagree with each other are refused", () => {
    expect(message({ ...tinyStories, num_key_value_heads: 3 })).toMatch(/not divisible by n_kv_head 3/);
    expect(message({ ...gpt2, n_head: 7 })).toMatch(/not divisible by n_head 7/);
  });
  test("features we do not implement (yarn rope scaling) are refused, not ignored", () => {
    expect(message({ ...tinyStories, rope_scaling: { type: "yarn", factor: 2 } })).toMatch(
      /rope_scaling of type "yarn"/,
    );
  });
  test("LlamaConfig's attention_bias gives q, k, v and o biases, and mlp_bias the MLP's", () => {
    const s = decoded({ ...tinyStories, attention_bias: true, mlp_bias: true });
    expect(E.isRight(s) && s.right).toMatchObject({ qkvBias: true, outBias: true, mlpBias: true });
    const plain = decoded({ ...tinyStories, attention_bias: false, mlp_bias: false });
    expect(E.isRight(plain) && ["qkvBias", "outBias", "mlpBias"].filter((k) => k in plain.right)).toEqual([]);
  });
});

const qwenConfig = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../assets/configs/${name}.config.json`, import.meta.url), "utf8"));

describe("Qwen2 config.json (Qwen2.5-0.5B and its instruct model)", () => {
  test.each(["qwen2.5-0.5b", "qwen2.5-0.5b-instruct"])(
    "%s decodes as a tied 24-block GQA Qwen2 with q/k/v biases, rope_theta 1e6, and 494,032,768 parameters",
    (name) => {
      const s = decoded(qwenConfig(name));
      expect(s).toEqual(E.right({
        _tag: "llama",
        family: "qwen2",
        nLayer: 24,
        nEmbd: 896,
        nHead: 14,
        nKvHead: 2,
        hiddenDim: 4864,
        vocabSize: 151936,
        blockSize: 32768,
        normEps: 1e-6,
        ropeTheta: 1e6,
        ropeStyle: "half",
        tiedHead: true,
        qkvBias: true,
      }));
      // embedding 151,936 × 896, per block q/k/v with biases, o, the MLP and two norms, the final norm
      expect(E.isRight(s) && paramCount(s.right)).toBe(494_032_768);
    },
  );
  test("use_sliding_window true is refused with one line naming it", () => {
    expect(message({ ...qwenConfig("qwen2.5-0.5b"), use_sliding_window: true })).toMatch(
      /^Cannot read config\.json as a model config: use_sliding_window true is not supported/,
    );
  });
  test("Qwen2's bias keys: attention_bias is ignored as transformers does, mlp_bias true is refused", () => {
    const plain = decoded(qwenConfig("qwen2.5-0.5b"));
    expect(decoded({ ...qwenConfig("qwen2.5-0.5b"), attention_bias: true })).toEqual(plain);
    expect(decoded({ ...qwenConfig("qwen2.5-0.5b"), attention_bias: false })).toEqual(plain);
    expect(message({ ...qwenConfig("qwen2.5-0.5b"), mlp_bias: true })).toMatch(
      /^Cannot read config\.json as a model config: mlp_bias true is not supported for qwen2/,
    );
  });
  test("a Qwen2 spec is written as Qwen2ForCausalLM, model_type qwen2, and reads back as the same spec", () => {
    const s = decoded(qwenConfig("qwen2.5-0.5b"));
    if (E.isLeft(s)) throw new Error(s.left.message);
    const cfg = encodeHfConfig(s.right, { bos: 1, eos: 2 }, "bfloat16");
    expect(cfg).toMatchObject({ architectures: ["Qwen2ForCausalLM"], model_type: "qwen2", use_sliding_window: false });
    expect(decoded(cfg)).toEqual(s);
  });
  test("a Qwen2 spec with a bias Qwen2Config cannot say is not exported", () => {
    const s = decoded(qwenConfig("qwen2.5-0.5b"));
    if (E.isLeft(s) || s.right._tag !== "llama") {
      throw new Error("Qwen2.5-0.5B's config did not decode as a rotary decoder");
    }
    const r = hfExportable({ ...s.right, outBias: true });
    expect(E.isLeft(r) && r.left.message).toMatch(/^Cannot write a qwen2 config\.json for an attention output bias/);
  });
});
