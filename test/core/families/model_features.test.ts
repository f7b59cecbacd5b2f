/**
 * inspect's family and features, on spec values directly (the features' math lands separately, and
 * until then config.json decoding refuses them): the family defaults to llama (GPT-2 is gpt2), only the
 * features a model uses are shown, and a feature set to Llama 2's own choice is not one.
 */
import { describe, expect, test } from "vitest";
import type { LlamaSpec, ModelSpec } from "../../../core/model/spec.ts";
import { familyOf, familyTitle, featureRows, featuresJson } from "../../../core/report/model_features.ts";

const LLAMA2: LlamaSpec = {
  _tag: "llama",
  nLayer: 2,
  nEmbd: 64,
  nHead: 4,
  nKvHead: 2,
  hiddenDim: 128,
  vocabSize: 100,
  blockSize: 64,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "half",
  tiedHead: false,
};
const GPT2: ModelSpec = {
  _tag: "gpt2",
  nLayer: 2,
  nEmbd: 64,
  nHead: 4,
  vocabSize: 100,
  blockSize: 64,
  nInner: 256,
  normEps: 1e-5,
};

describe("inspect's family and features of a spec", () => {
  test("a Llama 2 spec is family llama with no features; GPT-2 is gpt2 with none", () => {
    expect([familyOf(LLAMA2), familyTitle(LLAMA2), featuresJson(LLAMA2), featureRows(LLAMA2)]).toEqual([
      "llama",
      "Llama",
      {},
      [],
    ]);
    expect([familyOf(GPT2), familyTitle(GPT2), featuresJson(GPT2), featureRows(GPT2)]).toEqual([
      "gpt2",
      "GPT-2",
      {},
      [],
    ]);
  });
  test("features set to Llama 2's own choices are not shown (rms norm, SwiGLU, sequential residual, full rotary)", () => {
    const same: LlamaSpec = { ...LLAMA2, normKind: "rms", mlpKind: "swiglu", residual: "sequential", rotaryDims: 16 };
    expect([featuresJson(same), featureRows(same)]).toEqual([{}, []]);
  });
  test("Llama 3.2's scaled rotary and Mistral's sliding window", () => {
    const l3: LlamaSpec = {
      ...LLAMA2,
      ropeScaling: { kind: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 },
    };
    expect(featuresJson(l3)).toEqual({ rope_scaling: l3.ropeScaling });
    expect(featureRows(l3)).toEqual([["rope scaling", "llama3 ×32 (low 1, high 4, original context 8192)"]]);
    const m: LlamaSpec = { ...LLAMA2, family: "mistral", slidingWindow: 4096 };
    expect([familyOf(m), familyTitle(m), featuresJson(m)]).toEqual(["mistral", "Mistral", { sliding_window: 4096 }]);
    expect(featureRows(m)).toEqual([["sliding window", "4096 positions"]]);
  });
  test("Gemma's (1 + w) norm, √C embedding and GeGLU; Qwen3's q/k norm; Qwen2's q/k/v biases", () => {
    const g: LlamaSpec = { ...LLAMA2, family: "gemma", normKind: "rmsOffset", embedScale: true, mlpKind: "geglu" };
    expect(featuresJson(g)).toEqual({ norm: "rmsOffset", embed_scale: true, mlp: "geglu" });
    expect(featureRows(g)).toEqual([
      ["norm", "RMSNorm scaled by (1 + w)"],
      ["embedding scale", "× √C (√64)"],
      ["mlp", "GeGLU (tanh-GELU gate)"],
    ]);
    expect(featuresJson({ ...LLAMA2, family: "qwen3", qkNorm: true })).toEqual({ qk_norm: true });
    const q2: LlamaSpec = { ...LLAMA2, family: "qwen2", qkvBias: true };
    expect([familyTitle(q2), featuresJson(q2), featureRows(q2)]).toEqual(["Qwen2", { biases: ["qkv"] }, [[
      "biases",
      "q/k/v",
    ]]]);
  });
  test("Pythia's and Phi-2's LayerNorm, ungated GELU, biases, partial rotary and parallel residual", () => {
    const neox: LlamaSpec = {
      ...LLAMA2,
      family: "gpt_neox",
      normKind: "layer",
      mlpKind: "geluErf",
      qkvBias: true,
      outBias: true,
      mlpBias: true,
      rotaryDims: 4,
      residual: "parallel",
    };
    expect(familyTitle(neox)).toBe("GPT-NeoX (Pythia)");
    expect(featuresJson(neox)).toEqual({
      norm: "layer",
      mlp: "geluErf",
      biases: ["qkv", "out", "mlp"],
      rotary_dims: 4,
      residual: "parallel",
    });
    const phi: LlamaSpec = { ...neox, family: "phi", mlpKind: "geluTanh", headBias: true, residual: "parallelShared" };
    expect(featureRows(phi)).toEqual([
      ["norm", "LayerNorm with bias"],
      ["mlp", "GELU (tanh), ungated"],
      ["biases", "q/k/v, attention output, mlp, LM head"],
      ["partial rotary", "first 4 of 16 dims per head"],
      ["residual", "parallel: attention and MLP read the same input through one shared norm"],
    ]);
  });
});
