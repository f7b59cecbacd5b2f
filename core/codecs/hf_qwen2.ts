/**
 * Qwen2 / Qwen2.5 `config.json` (transformers Qwen2Config, model_type "qwen2", Qwen2ForCausalLM): a Llama with
 * biases on the q, k and v projections (not o), rope_theta 1e6 in the released models, small ones tied. Defaults as
 * Qwen2Config's: rms_norm_eps 1e-6, rope_theta 10000, max_position_embeddings 32768, tie_word_embeddings false.
 * `use_sliding_window: true` (a window on the layers from max_window_layers on) is refused by name; false makes
 * sliding_window and max_window_layers unused, as in transformers. Tensor names are Llama's (core/codecs/hf_layout.ts).
 * @module
 */
import * as t from "io-ts";
import { hasDefaultHeadDim, headDim, type LlamaSpec } from "../model/spec.ts";
import { PositiveInt, PositiveNumber } from "./numbers.ts";

export const Qwen2Config = t.intersection([
  t.type({
    model_type: t.literal("qwen2"),
    hidden_size: PositiveInt,
    intermediate_size: PositiveInt,
    num_hidden_layers: PositiveInt,
    num_attention_heads: PositiveInt,
    vocab_size: PositiveInt,
  }),
  t.partial({
    num_key_value_heads: PositiveInt,
    head_dim: PositiveInt,
    max_position_embeddings: PositiveInt,
    rms_norm_eps: PositiveNumber,
    rope_theta: PositiveNumber,
    tie_word_embeddings: t.boolean,
    hidden_act: t.literal("silu"),
    rope_scaling: t.null, // scaled rotary variants are not supported
    use_sliding_window: t.boolean, // true is refused by qwen2Problems
    use_mrope: t.literal(false), // Qwen2-VL's multimodal rotary
    inheritune_rope: t.literal("interleaved"),
  }),
], "Qwen2Config");
export type Qwen2Config = t.TypeOf<typeof Qwen2Config>;

/** What a decoded Qwen2Config asks that this tool does not compute: one line each. */
export const qwen2Problems = (c: Qwen2Config): ReadonlyArray<string> =>
  c.use_sliding_window === true
    ? ["use_sliding_window true is not supported (Qwen2's window on the layers from max_window_layers on)"]
    : [];

export const qwen2ToSpec = (c: Qwen2Config): LlamaSpec => ({
  _tag: "llama",
  family: "qwen2",
  nLayer: c.num_hidden_layers,
  nEmbd: c.hidden_size,
  nHead: c.num_attention_heads,
  nKvHead: c.num_key_value_heads ?? c.num_attention_heads,
  hiddenDim: c.intermediate_size,
  vocabSize: c.vocab_size,
  blockSize: c.max_position_embeddings ?? 32768,
  normEps: c.rms_norm_eps ?? 1e-6,
  ropeTheta: c.rope_theta ?? 10000,
  ropeStyle: c.inheritune_rope ?? "half",
  tiedHead: c.tie_word_embeddings ?? false,
  qkvBias: true,
  ...(c.head_dim !== undefined && c.head_dim * c.num_attention_heads !== c.hidden_size ? { headSize: c.head_dim } : {}),
});

/** Which spec Qwen2Config can say: q/k/v biases and nothing else beyond Llama 2 (Qwen2's o, MLP and norms have none). */
export const qwen2Unsayable = (s: LlamaSpec): ReadonlyArray<string> =>
  [
    ["no q/k/v biases", s.qkvBias !== true],
    ["an attention output bias", s.outBias === true],
    ["MLP biases", s.mlpBias === true],
    ["an LM head bias", s.headBias === true],
    [`norm ${s.normKind}`, s.normKind !== undefined && s.normKind !== "rms"],
    [`mlp ${s.mlpKind}`, s.mlpKind !== undefined && s.mlpKind !== "swiglu"],
    ["rope scaling", s.ropeScaling !== undefined],
    ["a sliding window", s.slidingWindow !== undefined],
    ["q/k norms", s.qkNorm === true],
    ["an embedding scale", s.embedScale === true],
  ].filter(([, on]) => on).map(([what]) => what as string);

/** config.json for a Qwen2 spec, as transformers writes it (Qwen2ForCausalLM). */
export const encodeQwen2Config = (
  s: LlamaSpec,
  tokens: Readonly<Record<string, number>>,
  dtype: string,
): Record<string, unknown> => ({
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: s.nEmbd,
  intermediate_size: s.hiddenDim,
  num_hidden_layers: s.nLayer,
  num_attention_heads: s.nHead,
  num_key_value_heads: s.nKvHead,
  vocab_size: s.vocabSize,
  max_position_embeddings: s.blockSize,
  rms_norm_eps: s.normEps,
  rope_theta: s.ropeTheta,
  rope_scaling: null,
  hidden_act: "silu",
  use_sliding_window: false,
  attention_dropout: 0.0,
  tie_word_embeddings: s.tiedHead,
  ...tokens,
  torch_dtype: dtype,
  ...(s.ropeStyle === "interleaved" ? { inheritune_rope: "interleaved" } : {}),
  ...(hasDefaultHeadDim(s) ? {} : { head_dim: headDim(s) }),
});
