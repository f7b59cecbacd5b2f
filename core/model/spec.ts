/**
 * Model specs: immutable descriptions of the two families the paper uses.
 * GPT-2 (Radford et al. 2019): LayerNorm, GELU (tanh), learned positions, biases, tied head.
 * Llama (Touvron et al. 2023): RMSNorm, SwiGLU, rotary positions, grouped-query attention.
 * Names follow nanoGPT (n_layer n_head n_embd block_size) in camelCase. Shapes: see core/model/tensors.ts.
 * @module
 */

/** Which pairs of a head's dimensions rotary embedding rotates together. */
export type RopeStyle =
  | "interleaved" // llama2.c / Meta: (2i, 2i+1)
  | "half"; // Hugging Face "rotate_half": (i, i + headDim/2)

interface CommonSpec {
  readonly nLayer: number; // L: transformer blocks
  readonly nEmbd: number; // C: residual width
  readonly nHead: number; // NH: query heads
  /** D: width of one head when it is not C / NH (a head-pruned model keeps its heads' width). */
  readonly headSize?: number;
  readonly vocabSize: number; // V
  readonly blockSize: number; // longest context the model was trained for (T max)
  readonly normEps: number;
}

export interface Gpt2Spec extends CommonSpec {
  readonly _tag: "gpt2";
  readonly nInner: number; // MLP hidden width, 4C in GPT-2
}

export interface LlamaSpec extends CommonSpec {
  readonly _tag: "llama";
  readonly nKvHead: number; // KV heads; query head h reads kv head floor(h / (NH / NKV))
  readonly hiddenDim: number; // SwiGLU hidden width
  readonly ropeTheta: number;
  readonly ropeStyle: RopeStyle;
  readonly tiedHead: boolean; // LM head shares the token embedding
}

export type ModelSpec = Gpt2Spec | LlamaSpec;

/** D: headSize when the spec gives one, else C / NH. */
export const headDim = (s: ModelSpec): number => s.headSize ?? s.nEmbd / s.nHead;
/** NH·D: the width of q and of the attention output (C unless heads were pruned). */
export const qDim = (s: ModelSpec): number => s.nHead * headDim(s);
/** Whether the head width is C / NH, the only one GPT-2 and pre-head_dim configs can express. */
export const hasDefaultHeadDim = (s: ModelSpec): boolean => s.headSize === undefined || s.headSize * s.nHead === s.nEmbd;
export const kvHeads = (s: ModelSpec): number => (s._tag === "llama" ? s.nKvHead : s.nHead);
export const kvDim = (s: ModelSpec): number => kvHeads(s) * headDim(s);
export const ffnDim = (s: ModelSpec): number => (s._tag === "llama" ? s.hiddenDim : s.nInner);
export const isTied = (s: ModelSpec): boolean => (s._tag === "gpt2" ? true : s.tiedHead);

/** Problems with a spec's own numbers, empty when it is consistent. */
export const specProblems = (s: ModelSpec): ReadonlyArray<string> => {
  const positive: ReadonlyArray<[string, number]> = [
    ["n_layer", s.nLayer], ["n_embd", s.nEmbd], ["n_head", s.nHead], ["vocab_size", s.vocabSize],
    ["block_size", s.blockSize], ["n_kv_head", kvHeads(s)], ["ffn width", ffnDim(s)],
    ...(s.headSize !== undefined ? [["head_dim", s.headSize] as [string, number]] : []),
  ];
  const problems = positive
    .filter(([, v]) => !Number.isSafeInteger(v) || v <= 0)
    .map(([k, v]) => `${k} must be a positive integer, got ${v}`);
  if (problems.length > 0) return problems;
  if (s.headSize === undefined && s.nEmbd % s.nHead !== 0) problems.push(`n_embd ${s.nEmbd} is not divisible by n_head ${s.nHead}`);
  if (s.nHead % kvHeads(s) !== 0) problems.push(`n_head ${s.nHead} is not divisible by n_kv_head ${kvHeads(s)}`);
  if (s._tag === "llama" && headDim(s) % 2 !== 0) problems.push(`head dim ${headDim(s)} must be even for rotary embedding`);
  if (!(s.normEps > 0)) problems.push(`norm eps must be positive, got ${s.normEps}`);
  return problems;
};

/** A copy of the spec with another depth: surgery builds new specs, never edits the reference. */
export const withDepth = <S extends ModelSpec>(s: S, nLayer: number): S => ({ ...s, nLayer });
