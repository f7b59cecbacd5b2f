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
  return problems;
};

/** A copy of the spec with another depth: surgery builds new specs, never edits the reference. */
export const withDepth = <S extends ModelSpec>(s: S, nLayer: number): S => ({ ...s, nLayer });
