/**
 * Model specs: immutable descriptions of the two families the paper uses.
 * GPT-2 (Radford et al. 2019): LayerNorm, GELU (tanh), learned positions, biases, tied head.
 * Llama (Touvron et al. 2023): RMSNorm, SwiGLU, rotary positions, grouped-query attention.
 * Names follow nanoGPT (n_layer n_head n_embd block_size) in camelCase. Shapes: see core/model/tensors.ts.
 * The spec is an io-ts codec, and its type is the codec's: one definition for the decoders of
 * core/codecs/ and for training checkpoints (adapters/formats/checkpoint.ts).
 * @module
 */
import * as t from "io-ts";

/** Which pairs of a head's dimensions rotary embedding rotates together. */
export const RopeStyle = t.keyof({
  interleaved: null, // llama2.c / Meta: (2i, 2i+1)
  half: null, // Hugging Face "rotate_half": (i, i + headDim/2)
}); // unnamed: a decoding error then lists the choices
export type RopeStyle = t.TypeOf<typeof RopeStyle>;

// Plain numbers here: whether they are positive integers that fit together is specProblems' question,
// so that every decoder (config.json, llama2.c header, checkpoint) reports it the same way.
const common = {
  nLayer: t.number, // L: transformer blocks
  nEmbd: t.number, // C: residual width
  nHead: t.number, // NH: query heads
  vocabSize: t.number, // V
  blockSize: t.number, // longest context the model was trained for (T max)
  normEps: t.number,
};
/** D: width of one head when it is not C / NH (a head-pruned model keeps its heads' width). */
const HeadSize = t.readonly(t.partial({ headSize: t.number }));

export const Gpt2Spec = t.intersection([
  t.readonly(t.type({
    _tag: t.literal("gpt2"),
    ...common,
    nInner: t.number, // MLP hidden width, 4C in GPT-2
  })),
  HeadSize,
], "Gpt2Spec");
export type Gpt2Spec = t.TypeOf<typeof Gpt2Spec>;

/** The Hugging Face families of the rotary decoder (`_tag: "llama"`); the model_type written on export. */
export const Family = t.keyof({
  llama: null, // Llama 2/3, TinyLlama, SmolLM2
  mistral: null,
  qwen2: null,
  qwen3: null,
  gemma: null,
  gpt_neox: null, // Pythia
  phi: null, // Phi-2
});
export type Family = t.TypeOf<typeof Family>;

/** Rotary frequency scaling of long-context checkpoints (HF `rope_scaling`). */
export const RopeScaling = t.union([
  t.readonly(t.type({ kind: t.literal("linear"), factor: t.number })),
  t.readonly(t.type({
    kind: t.literal("llama3"),
    factor: t.number,
    lowFreqFactor: t.number,
    highFreqFactor: t.number,
    originalContext: t.number, // original_max_position_embeddings
  })),
], "RopeScaling");
export type RopeScaling = t.TypeOf<typeof RopeScaling>;

/**
 * What a rotary decoder does beyond Llama 2; every field absent is Llama 2's choice, so older specs and
 * checkpoints decode unchanged. Tensor names of each feature: core/model/tensors.ts.
 */
export const RotaryFeatures = t.readonly(
  t.partial({
    family: Family, // absent: llama
    ropeScaling: RopeScaling, // Llama 3.x: scaled inverse frequencies
    slidingWindow: t.number, // Mistral: a position attends to at most this many positions
    qkNorm: t.boolean, // Qwen3: per-head RMSNorm of q and k (qnorm, knorm: D) before the rotary
    normKind: t.keyof({ rms: null, rmsOffset: null, layer: null }), // rmsOffset: Gemma's (1 + w); layer: LayerNorm with bias
    embedScale: t.boolean, // Gemma: the embedding times √C
    mlpKind: t.keyof({ swiglu: null, geglu: null, geluTanh: null, geluErf: null }), // geglu: Gemma's tanh-GELU gate
    qkvBias: t.boolean, // Qwen2, GPT-NeoX, Phi: biases bq bk bv
    outBias: t.boolean, // GPT-NeoX, Phi: bias bo on the attention output
    mlpBias: t.boolean, // GPT-NeoX, Phi: biases b1 (and b3 when gated), b2
    headBias: t.boolean, // Phi-2: the LM head's bias lmheadb
    rotaryDims: t.number, // GPT-NeoX rotary_pct, Phi partial_rotary_factor: the first R dims of each head rotate
    residual: t.keyof({ sequential: null, parallel: null, parallelShared: null }), // NeoX: two norms; Phi: one
  }),
  "RotaryFeatures",
);
export type RotaryFeatures = t.TypeOf<typeof RotaryFeatures>;

export const LlamaSpec = t.intersection([
  t.readonly(t.type({
    _tag: t.literal("llama"),
    ...common,
    nKvHead: t.number, // KV heads; query head h reads kv head floor(h / (NH / NKV))
    hiddenDim: t.number, // SwiGLU hidden width
    ropeTheta: t.number,
    ropeStyle: RopeStyle,
    tiedHead: t.boolean, // LM head shares the token embedding
  })),
  HeadSize,
  RotaryFeatures,
], "LlamaSpec");
export type LlamaSpec = t.TypeOf<typeof LlamaSpec>;

/** A model spec: the one codec that both checks a decoded value (checkpoints) and is the type. */
export const ModelSpec = t.union([Gpt2Spec, LlamaSpec], "ModelSpec");
export type ModelSpec = t.TypeOf<typeof ModelSpec>;

/** D: headSize when the spec gives one, else C / NH. */
export const headDim = (s: ModelSpec): number => s.headSize ?? s.nEmbd / s.nHead;
/** NH·D: the width of q and of the attention output (C unless heads were pruned). */
export const qDim = (s: ModelSpec): number => s.nHead * headDim(s);
/** Whether the head width is C / NH, the only one GPT-2 and pre-head_dim configs can express. */
export const hasDefaultHeadDim = (s: ModelSpec): boolean =>
  s.headSize === undefined || s.headSize * s.nHead === s.nEmbd;
export const kvHeads = (s: ModelSpec): number => (s._tag === "llama" ? s.nKvHead : s.nHead);
export const kvDim = (s: ModelSpec): number => kvHeads(s) * headDim(s);
export const ffnDim = (s: ModelSpec): number => (s._tag === "llama" ? s.hiddenDim : s.nInner);
export const isTied = (s: ModelSpec): boolean => (s._tag === "gpt2" ? true : s.tiedHead);
/** R: how many leading dims of each head rotate (GPT-NeoX rotary_pct · D, Phi partial_rotary_factor · D); D unless partial. */
export const rotaryDims = (s: LlamaSpec): number => s.rotaryDims ?? headDim(s);
/** The parallel residual of GPT-NeoX ("parallel": two norms) or Phi-2 ("parallelShared": one), else undefined. */
export const parallelResidual = (s: ModelSpec): "parallel" | "parallelShared" | undefined =>
  s._tag === "llama" && s.residual !== undefined && s.residual !== "sequential" ? s.residual : undefined;

/** Problems with a spec's own numbers, empty when it is consistent. */
export const specProblems = (s: ModelSpec): ReadonlyArray<string> => {
  const positive: ReadonlyArray<[string, number]> = [
    ["n_layer", s.nLayer],
    ["n_embd", s.nEmbd],
    ["n_head", s.nHead],
    ["vocab_size", s.vocabSize],
    ["block_size", s.blockSize],
    ["n_kv_head", kvHeads(s)],
    ["ffn width", ffnDim(s)],
    ...(s.headSize !== undefined ? [["head_dim", s.headSize] as [string, number]] : []),
  ];
  const problems = positive
    .filter(([, v]) => !Number.isSafeInteger(v) || v <= 0)
    .map(([k, v]) => `${k} must be a positive integer, got ${v}`);
  if (problems.length > 0) return problems;
  if (s.headSize === undefined && s.nEmbd % s.nHead !== 0) {
    problems.push(`n_embd ${s.nEmbd} is not divisible by n_head ${s.nHead}`);
  }
  if (s.nHead % kvHeads(s) !== 0) problems.push(`n_head ${s.nHead} is not divisible by n_kv_head ${kvHeads(s)}`);
  if (s._tag === "llama" && headDim(s) % 2 !== 0) {
    problems.push(`head dim ${headDim(s)} must be even for rotary embedding`);
  }
  if (!(s.normEps > 0)) problems.push(`norm eps must be positive, got ${s.normEps}`);
  if (s._tag === "llama") problems.push(...rotaryDimsProblems(s), ...featureProblems(s));
  return problems;
};

/** A partial rotary rotates whole pairs of the head's first R dims: 0 < R ≤ D, R even. */
const rotaryDimsProblems = (s: LlamaSpec): ReadonlyArray<string> => {
  const R = rotaryDims(s);
  return Number.isSafeInteger(R) && R > 0 && R % 2 === 0 && R <= headDim(s)
    ? []
    : [`rotary dims ${R} must be an even positive integer at most the head dim ${headDim(s)}`];
};

/**
 * The longest context the model runs exactly: its block size, or Mistral's sliding window when that is
 * shorter. Attention here is plain causal, which equals the windowed one only while every position sees
 * at most `slidingWindow` positions; longer contexts are refused (not masked), with `why` as the reason.
 */
export const contextLimit = (s: ModelSpec): { readonly limit: number; readonly why: string } =>
  s._tag === "llama" && s.slidingWindow !== undefined && s.slidingWindow < s.blockSize
    ? {
      limit: s.slidingWindow,
      why:
        `the model's sliding window is ${s.slidingWindow} positions (longer contexts, which need the window's mask, are not supported)`,
    }
    : { limit: s.blockSize, why: `the model's context is ${s.blockSize}` };

/**
 * Gemma's embedding multiplier √C, rounded to f32 as transformers casts it to the hidden dtype; 1 for the others.
 * (core/ops/embed.ts applies it to the embedding, core/model/backward.ts to its gradient.)
 */
export const embedScaleOf = (s: ModelSpec): number =>
  s._tag === "llama" && s.embedScale === true ? Math.fround(Math.sqrt(s.nEmbd)) : 1;

/** A copy of the spec with another depth: surgery builds new specs, never edits the reference. */
export const withDepth = <S extends ModelSpec>(s: S, nLayer: number): S => ({ ...s, nLayer });

/** Problems with the numbers of the Llama 3 / Mistral / Qwen3 / Gemma features (rope scaling, sliding window). */
const featureProblems = (s: LlamaSpec): ReadonlyArray<string> => {
  const r = s.ropeScaling, problems: string[] = [];
  if (r !== undefined && !(r.factor > 0)) problems.push(`rope_scaling factor must be positive, got ${r.factor}`);
  if (r?.kind === "llama3" && !(r.highFreqFactor > r.lowFreqFactor && r.lowFreqFactor > 0 && r.originalContext > 0)) {
    problems.push(
      `rope_scaling needs high_freq_factor > low_freq_factor > 0 and original_max_position_embeddings > 0, got ${r.highFreqFactor}, ${r.lowFreqFactor}, ${r.originalContext}`,
    );
  }
  const w = s.slidingWindow;
  if (w !== undefined && (!Number.isSafeInteger(w) || w <= 0)) {
    problems.push(`sliding_window must be a positive integer, got ${w}`);
  }
  return problems;
};
