/**
 * Hugging Face `config.json` of GPT-NeoX (Pythia; transformers GPTNeoXConfig) and Phi (Phi-2; PhiConfig), decoded
 * into the rotary decoder's spec (`_tag: "llama"` with RotaryFeatures) and written back.
 * GPTNeoXConfig: hidden_size intermediate_size num_hidden_layers num_attention_heads vocab_size
 * max_position_embeddings layer_norm_eps, rotary_pct (R = int(rotary_pct · D)), rotary_emb_base (θ; newer
 * transformers: rope_theta), use_parallel_residual (x + attn(ln1 x) + mlp(ln2 x); false: sequential),
 * hidden_act ("gelu": exact erf GELU), attention_bias (q k v and the output; default true), LayerNorm with bias,
 * MLP biases always, tie_word_embeddings (default false); no GQA, no head_dim.
 * PhiConfig: hidden_size intermediate_size num_hidden_layers num_attention_heads num_key_value_heads
 * max_position_embeddings layer_norm_eps rope_theta partial_rotary_factor (R = int(factor · D)), hidden_act
 * ("gelu_new": tanh GELU), qk_layernorm (false only), tie_word_embeddings; one LayerNorm per block feeding attention
 * and MLP in parallel (parallelShared), every linear with a bias, the LM head's too; no head_dim.
 * Both rotate halves within the first R dims (rotate_half on q[..., :R]).
 * @module
 */
import * as t from "io-ts";
import { hasDefaultHeadDim, headDim, type LlamaSpec, type ModelSpec, rotaryDims } from "../model/spec.ts";
import { PositiveInt, PositiveNumber } from "./numbers.ts";

const Fraction = t.refinement(t.number, (x) => Number.isFinite(x) && x > 0 && x <= 1, "a fraction in (0, 1]");
/** The GELUs of these configs: exact erf GELU, and the tanh approximation under its names. */
const Act = t.keyof({ gelu: null, gelu_new: null, gelu_pytorch_tanh: null, gelu_fast: null });
const common = {
  hidden_size: PositiveInt,
  intermediate_size: PositiveInt,
  num_hidden_layers: PositiveInt,
  num_attention_heads: PositiveInt,
  vocab_size: PositiveInt,
};
const commonOptional = {
  max_position_embeddings: PositiveInt,
  layer_norm_eps: PositiveNumber,
  rope_theta: PositiveNumber,
  tie_word_embeddings: t.boolean,
  hidden_act: Act,
  rope_scaling: t.null, // scaled rotary variants of these families are not supported
};

export const NeoxConfig = t.intersection([
  t.type({ model_type: t.literal("gpt_neox"), ...common }),
  t.partial({
    ...commonOptional,
    rotary_pct: Fraction,
    rotary_emb_base: PositiveNumber,
    use_parallel_residual: t.boolean,
    attention_bias: t.boolean,
  }),
], "GPTNeoXConfig");

export const PhiConfig = t.intersection([
  t.type({ model_type: t.literal("phi"), ...common }),
  t.partial({
    ...commonOptional,
    num_key_value_heads: PositiveInt,
    partial_rotary_factor: Fraction,
    qk_layernorm: t.literal(false),
  }),
], "PhiConfig");
export type NeoxPhiConfig = t.TypeOf<typeof NeoxConfig> | t.TypeOf<typeof PhiConfig>;

/** R as transformers computes it, int(fraction · D); kept in the spec only when it is not the whole head. */
const rotary = (fraction: number, D: number) => {
  const R = Math.trunc(fraction * D);
  return R === D ? {} : { rotaryDims: R };
};

export const neoxPhiSpec = (c: NeoxPhiConfig): LlamaSpec => {
  const D = c.hidden_size / c.num_attention_heads, neox = c.model_type === "gpt_neox";
  const act = c.hidden_act ?? (neox ? "gelu" : "gelu_new");
  const base = {
    _tag: "llama" as const,
    nLayer: c.num_hidden_layers,
    nEmbd: c.hidden_size,
    nHead: c.num_attention_heads,
    hiddenDim: c.intermediate_size,
    vocabSize: c.vocab_size,
    blockSize: c.max_position_embeddings ?? 2048,
    normEps: c.layer_norm_eps ?? 1e-5,
    ropeStyle: "half" as const,
    tiedHead: c.tie_word_embeddings ?? false,
    normKind: "layer" as const,
    mlpKind: act === "gelu" ? "geluErf" as const : "geluTanh" as const,
    mlpBias: true,
  };
  if (c.model_type === "gpt_neox") {
    const bias = c.attention_bias ?? true;
    return {
      ...base,
      family: "gpt_neox",
      nKvHead: c.num_attention_heads,
      ropeTheta: c.rope_theta ?? c.rotary_emb_base ?? 10000,
      ...rotary(c.rotary_pct ?? 0.25, D),
      ...(bias ? { qkvBias: true, outBias: true } : {}),
      ...(c.use_parallel_residual ?? true ? { residual: "parallel" as const } : {}),
    };
  }
  return {
    ...base,
    family: "phi",
    nKvHead: c.num_key_value_heads ?? c.num_attention_heads,
    ropeTheta: c.rope_theta ?? 10000,
    ...rotary(c.partial_rotary_factor ?? 0.5, D),
    qkvBias: true,
    outBias: true,
    headBias: true,
    residual: "parallelShared",
  };
};

/** R / D as the config's fraction, nudged up half a dim when int(fraction · D) would round it below R. */
const fractionOf = (s: LlamaSpec): number => {
  const R = rotaryDims(s), D = headDim(s);
  return Math.trunc((R / D) * D) === R ? R / D : (R + 0.5) / D;
};

const hiddenAct = (s: LlamaSpec): string => (s.mlpKind === "geluErf" ? "gelu" : "gelu_new");

/** What a GPT-NeoX or Phi config.json cannot say about the spec, or undefined when it can say all of it. */
export const neoxPhiExportProblem = (s: LlamaSpec): string | undefined => {
  const neox = s.family === "gpt_neox", name = neox ? "GPT-NeoX" : "Phi";
  const wants: ReadonlyArray<[boolean, string]> = [
    [hasDefaultHeadDim(s), `heads of width ${headDim(s)} at hidden_size / heads ${s.nEmbd / s.nHead} (no head_dim)`],
    [s.ropeStyle === "half", "interleaved rotary pairs"],
    [s.normKind === "layer", `norm ${s.normKind ?? "rms"} (LayerNorm only)`],
    [s.mlpKind === "geluErf" || s.mlpKind === "geluTanh", `mlp ${s.mlpKind ?? "swiglu"} (a GELU MLP only)`],
    [s.mlpBias === true, "an MLP without biases"],
    [
      s.ropeScaling === undefined && s.slidingWindow === undefined && s.qkNorm !== true && s.embedScale !== true,
      "rope scaling, a sliding window, q/k norms or an embedding scale",
    ],
    ...(neox
      ? [
        [s.nKvHead === s.nHead, `${s.nKvHead} kv heads for ${s.nHead} heads (no grouped-query attention)`],
        [(s.qkvBias === true) === (s.outBias === true), "q/k/v biases without the output's, or the reverse"],
        [s.headBias !== true, "an LM head bias"],
        [s.residual !== "parallelShared", "one norm shared by attention and MLP"],
      ] as ReadonlyArray<[boolean, string]>
      : [
        [s.qkvBias === true && s.outBias === true && s.headBias === true, "a linear without its bias"],
        [s.residual === "parallelShared", `the ${s.residual ?? "sequential"} residual (one shared norm only)`],
      ] as ReadonlyArray<[boolean, string]>),
  ];
  const bad = wants.find(([ok]) => !ok);
  return bad === undefined ? undefined : `a ${name} config.json cannot describe ${bad[1]}`;
};

/** The family's config.json, as transformers writes it; `tokens` and `dtype` as for every family. */
export const encodeNeoxPhiConfig = (
  s: LlamaSpec,
  tokens: Readonly<Record<string, number>>,
  dtype: string,
): Record<string, unknown> => {
  const shared = {
    hidden_size: s.nEmbd,
    intermediate_size: s.hiddenDim,
    num_hidden_layers: s.nLayer,
    num_attention_heads: s.nHead,
    vocab_size: s.vocabSize,
    max_position_embeddings: s.blockSize,
    layer_norm_eps: s.normEps,
    hidden_act: hiddenAct(s),
    rope_scaling: null,
    tie_word_embeddings: s.tiedHead,
  };
  if (s.family === "gpt_neox") {
    return {
      architectures: ["GPTNeoXForCausalLM"],
      model_type: "gpt_neox",
      ...shared,
      rotary_pct: fractionOf(s),
      rotary_emb_base: s.ropeTheta,
      rope_theta: s.ropeTheta,
      use_parallel_residual: s.residual === "parallel",
      attention_bias: s.qkvBias === true,
      ...tokens,
      torch_dtype: dtype,
    };
  }
  return {
    architectures: ["PhiForCausalLM"],
    model_type: "phi",
    ...shared,
    num_key_value_heads: s.nKvHead,
    rope_theta: s.ropeTheta,
    partial_rotary_factor: fractionOf(s),
    qk_layernorm: false,
    ...tokens,
    torch_dtype: dtype,
  };
};

/** Whether the spec is one of these two families. */
export const isNeoxPhi = (s: ModelSpec): s is LlamaSpec & { readonly family: "gpt_neox" | "phi" } =>
  s._tag === "llama" && (s.family === "gpt_neox" || s.family === "phi");

/** Any other rotary family's config.json (Llama's and the rest) rotates whole heads in sequence. */
export const rotaryVariantExportProblem = (s: LlamaSpec): string | undefined =>
  rotaryDims(s) !== headDim(s)
    ? `a ${s.family ?? "llama"} config.json cannot describe a partial rotary (${rotaryDims(s)} of ${headDim(s)} dims)`
    : s.residual !== undefined && s.residual !== "sequential"
    ? `a ${s.family ?? "llama"} config.json cannot describe the ${s.residual} residual`
    : undefined;
