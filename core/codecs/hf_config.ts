/**
 * Hugging Face `config.json` for the two families, decoded with io-ts into a spec.
 * GPT2Config: n_layer n_head n_embd n_positions vocab_size layer_norm_epsilon n_inner (null → 4C).
 * LlamaConfig: hidden_size intermediate_size num_hidden_layers num_attention_heads
 * num_key_value_heads (absent → MHA) max_position_embeddings rms_norm_eps rope_theta
 * tie_word_embeddings (HF default false) head_dim (absent → hidden_size / num_attention_heads; a
 * head-pruned model's heads keep their width, so it is written when it differs). HF Llama rotates
 * halves ("rotate_half"). GPT2Config has no head_dim: a GPT-2 with pruned heads cannot be written.
 * Our own key `inheritune_rope: "interleaved"` marks a llama2.c model whose q/k rows we permuted to
 * the half split on export (core/codecs/hf_layout.ts): we un-permute on import, so the round trip is exact;
 * every other reader (transformers) ignores the key and runs the permuted weights with rotate_half.
 * LlamaConfig's attention_bias (q, k, v and o biases) and mlp_bias (gate, up, down) decode to the spec's qkvBias and
 * outBias, and mlpBias. The keys of mistral, qwen2, qwen3 and gemma (decoded by this LlamaConfig too):
 * core/codecs/hf_rotary.ts. Qwen2Config has no bias keys (its q, k and v always have biases, its o and MLP none):
 * a qwen2 file's attention_bias is ignored, as transformers does, and mlp_bias true refused as for the others.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { type AppError, appError } from "../errors.ts";
import {
  hasDefaultHeadDim,
  headDim,
  type LlamaSpec,
  type ModelSpec,
  type RotaryFeatures,
  specProblems,
} from "../model/spec.ts";
import {
  decodeRotaryFeatures,
  encodeRotaryKeys,
  ROTARY_MODEL_TYPES,
  RotaryConfigKeys,
  rotaryExportProblem,
  rotaryModelType,
  rotaryShape,
} from "./hf_rotary.ts";
import { PositiveInt, PositiveNumber } from "./numbers.ts";
import { describeErrors } from "./report.ts";
import {
  encodeNeoxPhiConfig,
  isNeoxPhi,
  NeoxConfig,
  neoxPhiExportProblem,
  neoxPhiSpec,
  PhiConfig,
  rotaryVariantExportProblem,
} from "./hf_config_neox_phi.ts";

export const KNOWN_MODEL_TYPES = ["gpt2", ...ROTARY_MODEL_TYPES, "gpt_neox", "phi"] as const;

const Gpt2Config = t.intersection([
  t.type({
    model_type: t.literal("gpt2"),
    n_layer: PositiveInt,
    n_head: PositiveInt,
    n_embd: PositiveInt,
    vocab_size: PositiveInt,
  }),
  t.partial({
    n_positions: PositiveInt,
    n_ctx: PositiveInt,
    n_inner: t.union([PositiveInt, t.null]),
    layer_norm_epsilon: PositiveNumber,
    activation_function: t.keyof({ gelu_new: null, gelu_pytorch_tanh: null }),
  }),
], "GPT2Config");

const LlamaConfig = t.intersection([
  t.type({
    model_type: t.keyof({ llama: null, mistral: null, qwen2: null, qwen3: null, gemma: null }), // hf_rotary.ts
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
    hidden_act: t.keyof({ silu: null, gelu: null, gelu_pytorch_tanh: null }), // which family takes which: hf_rotary.ts
    ...RotaryConfigKeys,
    attention_bias: t.boolean, // which family takes which: biasProblem
    mlp_bias: t.boolean,
    inheritune_rope: t.literal("interleaved"),
  }),
], "LlamaConfig");

const toSpec = (c: t.TypeOf<typeof Gpt2Config> | t.TypeOf<typeof LlamaConfig>): ModelSpec =>
  c.model_type === "gpt2"
    ? {
      _tag: "gpt2",
      nLayer: c.n_layer,
      nEmbd: c.n_embd,
      nHead: c.n_head,
      vocabSize: c.vocab_size,
      blockSize: c.n_positions ?? c.n_ctx ?? 1024,
      nInner: c.n_inner ?? 4 * c.n_embd,
      normEps: c.layer_norm_epsilon ?? 1e-5,
    }
    : {
      _tag: "llama",
      nLayer: c.num_hidden_layers,
      nEmbd: c.hidden_size,
      nHead: c.num_attention_heads,
      nKvHead: c.num_key_value_heads ?? c.num_attention_heads,
      hiddenDim: c.intermediate_size,
      vocabSize: c.vocab_size,
      normEps: c.rms_norm_eps ?? 1e-6,
      ropeTheta: c.rope_theta ?? 10000,
      ropeStyle: c.inheritune_rope ?? "half",
      ...rotaryShape(c), // blockSize, tiedHead, headSize with the family's defaults
      ...(c.attention_bias === true && c.model_type !== "qwen2" ? { qkvBias: true, outBias: true } : {}),
      ...(c.mlp_bias === true ? { mlpBias: true } : {}),
    };

/** The spec with the features its family's keys say (core/codecs/hf_rotary.ts), or why they cannot be read. */
const withFeatures = (c: t.TypeOf<typeof Gpt2Config> | t.TypeOf<typeof LlamaConfig>, s: ModelSpec) =>
  c.model_type === "gpt2" || s._tag !== "llama"
    ? E.right<string, ModelSpec>(s)
    : biasProblem(c) !== undefined
    ? E.left<string, ModelSpec>(biasProblem(c) as string)
    : E.map((f: RotaryFeatures): ModelSpec => ({ ...s, ...f }))(decodeRotaryFeatures(c));

/**
 * The bias keys a family's transformers model does not read: Mistral's linears have no bias at all, and only
 * Llama's MLP takes mlp_bias (Qwen3's and Gemma's attention_bias is the q, k, v and o biases, as Llama's).
 */
const biasProblem = (c: t.TypeOf<typeof LlamaConfig>): string | undefined =>
  c.model_type === "mistral" && c.attention_bias === true
    ? "attention_bias true is not supported for mistral (MistralForCausalLM has no attention biases)"
    : c.model_type !== "llama" && c.mlp_bias === true
    ? `mlp_bias true is not supported for ${c.model_type} (its MLP has no biases)`
    : undefined;

/** Decode a parsed config.json; `source` names the file in messages. */
export const decodeHfConfig = (json: unknown, source: string): E.Either<AppError, ModelSpec> => {
  const bad = (why: string) =>
    appError(
      "BadConfig",
      `Cannot read ${source} as a model config: ${why}`,
      `supported model_type values: ${KNOWN_MODEL_TYPES.join(", ")}; fix the file or convert the model`,
    );
  const type = typeof json === "object" && json !== null ? (json as { model_type?: unknown }).model_type : undefined;
  const neoxPhi = type === "gpt_neox" ? NeoxConfig : type === "phi" ? PhiConfig : undefined;
  const codec = type === "gpt2"
    ? Gpt2Config
    : (ROTARY_MODEL_TYPES as ReadonlyArray<unknown>).includes(type)
    ? LlamaConfig
    : neoxPhi;
  if (codec === undefined) return E.left(bad(`unknown model_type ${JSON.stringify(type)}`));
  return pipe(
    (codec as t.Type<t.TypeOf<typeof Gpt2Config> | t.TypeOf<typeof LlamaConfig>, unknown, unknown>).decode(json),
    E.mapLeft((errs) => bad(describeErrors(errs))),
    E.chain((c) =>
      neoxPhi !== undefined
        ? E.right<AppError, ModelSpec>(neoxPhiSpec(c as unknown as t.TypeOf<typeof NeoxConfig>))
        : E.mapLeft(bad)(withFeatures(c, toSpec(c)))
    ),
    E.chain((spec) => (specProblems(spec).length === 0 ? E.right(spec) : E.left(bad(specProblems(spec).join("; "))))),
  );
};

export type TorchDtype = "float32" | "float16" | "bfloat16";

/** A config.json for a spec, as transformers writes it; the depth is the spec's own. */
export const encodeHfConfig = (
  s: ModelSpec,
  ids: { readonly bos?: number; readonly eos?: number },
  dtype: TorchDtype,
): Record<string, unknown> => {
  const tokens = {
    ...(ids.bos !== undefined ? { bos_token_id: ids.bos } : {}),
    ...(ids.eos !== undefined ? { eos_token_id: ids.eos } : {}),
  };
  if (isNeoxPhi(s)) return encodeNeoxPhiConfig(s, tokens, dtype);
  if (s._tag === "gpt2") {
    return {
      architectures: ["GPT2LMHeadModel"],
      model_type: "gpt2",
      n_layer: s.nLayer,
      n_head: s.nHead,
      n_embd: s.nEmbd,
      n_positions: s.blockSize,
      n_ctx: s.blockSize,
      n_inner: s.nInner,
      vocab_size: s.vocabSize,
      layer_norm_epsilon: s.normEps,
      activation_function: "gelu_new",
      tie_word_embeddings: true,
      ...tokens,
      torch_dtype: dtype,
    };
  }
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
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
    ...(s.family === "qwen2" ? {} : { attention_bias: s.qkvBias === true, mlp_bias: s.mlpBias === true }),
    tie_word_embeddings: s.tiedHead,
    ...tokens,
    torch_dtype: dtype,
    ...(s.ropeStyle === "interleaved" ? { inheritune_rope: "interleaved" } : {}),
    ...(hasDefaultHeadDim(s) ? {} : { head_dim: headDim(s) }),
    ...encodeRotaryKeys(s), // model_type, architectures and the family's own keys
  };
};

/** What of a rotary spec's biases, norms and MLP its family's config cannot say (LlamaConfig's model types). */
const unsayable = (s: LlamaSpec): ReadonlyArray<string> => {
  const type = rotaryModelType(s); // llama, mistral, qwen2, qwen3, gemma; their own features: rotaryExportProblem
  if (type === undefined) return [];
  const qwen2 = type === "qwen2"; // q/k/v biases always, o never; the others' attention_bias is all four
  return [
    [
      "q/k/v biases without the output's (attention_bias is all four)",
      !qwen2 && (s.qkvBias === true) !== (s.outBias === true),
    ],
    ["no q/k/v biases", qwen2 && s.qkvBias !== true],
    ["an attention output bias", qwen2 && s.outBias === true],
    ["attention biases", type === "mistral" && (s.qkvBias === true || s.outBias === true)],
    ["MLP biases", type !== "llama" && s.mlpBias === true],
    ["an LM head bias", s.headBias === true],
    [`norm ${s.normKind}`, s.normKind === "layer"],
    [`mlp ${s.mlpKind}`, s.mlpKind === "geluTanh" || s.mlpKind === "geluErf"],
  ].filter(([, on]) => on).map(([what]) => what as string);
};

/** The spec, when a config.json can describe it: GPT2Config ties the head width to n_embd / n_head. */
export const hfExportable = (s: ModelSpec): E.Either<AppError, ModelSpec> => {
  if (s._tag === "llama" && unsayable(s).length > 0) {
    return E.left(
      appError(
        "BadSpec",
        `Cannot write a ${s.family ?? "llama"} config.json for ${
          unsayable(s).join(", ")
        }: its config has no key for it`,
        "export the model in its own family (the spec's family decides the config written)",
      ),
    );
  }
  const problem = s._tag === "llama" ? rotaryFamilyProblem(s) : undefined;
  if (problem !== undefined) {
    return E.left(
      appError(
        "BadSpec",
        `Cannot write a config.json for this model: ${problem}`,
        "export a model of the family it was loaded as; surgery keeps a family's features",
      ),
    );
  }
  return s._tag === "gpt2" && !hasDefaultHeadDim(s)
    ? E.left(
      appError(
        "BadSpec",
        `Cannot write a GPT-2 config.json for ${s.nHead} heads of width ${
          headDim(s)
        } at n_embd ${s.nEmbd}: GPT2Config has no head_dim, its heads are n_embd / n_head wide`,
        "prune heads only of a Llama model (LlamaConfig has head_dim), or keep every GPT-2 head (drop --heads)",
      ),
    )
    : E.right(s);
};

/**
 * What the family's config.json cannot say about a rotary spec: GPT-NeoX's and Phi's (core/codecs/
 * hf_config_neox_phi.ts), or the partial rotary and residual no Llama-shaped config has, then the features
 * of Llama 3, Mistral, Qwen3 and Gemma their architecture lacks or always has (core/codecs/hf_rotary.ts).
 */
const rotaryFamilyProblem = (s: LlamaSpec): string | undefined =>
  isNeoxPhi(s) ? neoxPhiExportProblem(s) : rotaryVariantExportProblem(s) ?? rotaryExportProblem(s);
