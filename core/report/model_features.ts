/**
 * What `inspect` says about a model's family and the features it uses beyond Llama 2 (core/model/spec.ts
 * RotaryFeatures): the family (absent: llama; GPT-2 is its own), then only the features whose value is
 * not Llama 2's choice, as JSON (snake_case keys, as inspect's other facts) and as table rows.
 * Pure: it reads a spec value and nothing else.
 * @module
 */
import { type Family, headDim, type LlamaSpec, type ModelSpec } from "../model/spec.ts";

export type FamilyName = Family | "gpt2";

/** The Hugging Face family: GPT-2, or the rotary spec's `family` (absent: llama). */
export const familyOf = (s: ModelSpec): FamilyName => (s._tag === "gpt2" ? "gpt2" : s.family ?? "llama");

const FAMILY_TITLES: Record<FamilyName, string> = {
  gpt2: "GPT-2",
  llama: "Llama",
  mistral: "Mistral",
  qwen2: "Qwen2",
  qwen3: "Qwen3",
  gemma: "Gemma",
  gpt_neox: "GPT-NeoX (Pythia)",
  phi: "Phi",
};
export const familyTitle = (s: ModelSpec): string => FAMILY_TITLES[familyOf(s)];

/** The features a rotary spec uses, each with its JSON key, value and words; empty for Llama 2 and GPT-2. */
const usedFeatures = (s: LlamaSpec): ReadonlyArray<readonly [string, unknown, string, string]> => {
  const rows: Array<readonly [string, unknown, string, string]> = [], r = s.ropeScaling;
  if (r !== undefined) {
    const words = r.kind === "linear"
      ? `linear, positions / ${r.factor}`
      : `llama3 ×${r.factor} (low ${r.lowFreqFactor}, high ${r.highFreqFactor}, original context ${r.originalContext})`;
    rows.push(["rope_scaling", r, "rope scaling", words]);
  }
  if (s.slidingWindow !== undefined) {
    rows.push(["sliding_window", s.slidingWindow, "sliding window", `${s.slidingWindow} positions`]);
  }
  if (s.qkNorm === true) rows.push(["qk_norm", true, "q/k norm", "RMSNorm of each head's q and k before the rotary"]);
  if (s.normKind !== undefined && s.normKind !== "rms") {
    const words = s.normKind === "rmsOffset" ? "RMSNorm scaled by (1 + w)" : "LayerNorm with bias";
    rows.push(["norm", s.normKind, "norm", words]);
  }
  if (s.embedScale === true) rows.push(["embed_scale", true, "embedding scale", `× √C (√${s.nEmbd})`]);
  if (s.mlpKind !== undefined && s.mlpKind !== "swiglu") {
    const words = { geglu: "GeGLU (tanh-GELU gate)", geluTanh: "GELU (tanh), ungated", geluErf: "GELU (erf), ungated" };
    rows.push(["mlp", s.mlpKind, "mlp", words[s.mlpKind]]);
  }
  const biases: ReadonlyArray<readonly [boolean | undefined, string, string]> = [
    [s.qkvBias, "qkv", "q/k/v"],
    [s.outBias, "out", "attention output"],
    [s.mlpBias, "mlp", "mlp"],
    [s.headBias, "head", "LM head"],
  ];
  const used = biases.filter(([on]) => on === true);
  if (used.length > 0) rows.push(["biases", used.map(([, key]) => key), "biases", used.map(([, , w]) => w).join(", ")]);
  if (s.rotaryDims !== undefined && s.rotaryDims !== headDim(s)) {
    rows.push(["rotary_dims", s.rotaryDims, "partial rotary", `first ${s.rotaryDims} of ${headDim(s)} dims per head`]);
  }
  if (s.residual !== undefined && s.residual !== "sequential") {
    const words = s.residual === "parallel"
      ? "parallel: attention and MLP read the same input, each through its own norm"
      : "parallel: attention and MLP read the same input through one shared norm";
    rows.push(["residual", s.residual, "residual", words]);
  }
  return rows;
};

/** The features as JSON, `{}` when the model uses none (a plain Llama 2 or GPT-2). */
export const featuresJson = (s: ModelSpec): Readonly<Record<string, unknown>> =>
  s._tag === "gpt2" ? {} : Object.fromEntries(usedFeatures(s).map(([key, value]) => [key, value]));

/** The features as table rows [label, words], none when the model uses none. */
export const featureRows = (s: ModelSpec): Array<[string, string]> =>
  s._tag === "gpt2" ? [] : usedFeatures(s).map(([, , label, words]): [string, string] => [label, words]);
