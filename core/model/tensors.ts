/**
 * Tensor names, shapes and parameter counts of a spec.
 * Names follow llm.c (wte wpe ln1w qkvw attprojw fcw fcprojw lnfw) for GPT-2 and llama2.c
 * (wq wk wv wo w1 w2 w3) for Llama; block tensors are prefixed `h.<i>.`.
 * Every matrix is stored row-major as (out_features, in_features), as PyTorch's Linear and llama2.c do.
 * Shapes: V vocab, C width, P context (block_size), F ffn width, Q = n_head * head_dim (C unless
 * heads were pruned), KV = n_kv_head * head_dim. GPT-2's fused qkvw stacks q | k | v rows: (3Q, C).
 * A rotary decoder's features (core/model/spec.ts RotaryFeatures) add: bq (Q), bk bv (KV) for qkvBias;
 * bo (C) for outBias; b1 (F), b3 (F, gated MLPs only), b2 (C) for mlpBias; qnorm knorm (D) for qkNorm;
 * attnnormb ffnnormb normfb (C) for the LayerNorm kind; lmheadb (V) for headBias. An ungated MLP
 * (geluTanh, geluErf) has w1 (F, C) and w2 (C, F) and no w3; the parallelShared residual has no ffnnorm.
 * @module
 */
import { gatedMlp, layerNormKind, rotaryBiases } from "./features.ts";
import { ffnDim, headDim, isTied, kvDim, type ModelSpec, parallelResidual, qDim } from "./spec.ts";

export type Shape = ReadonlyArray<number>;
export interface TensorInfo {
  readonly name: string;
  readonly shape: Shape;
}
/** Weights by tensor name. Arrays are treated as immutable once built. */
export type Weights = Readonly<Record<string, Float32Array>>;

export const numel = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
export const blockName = (i: number, local: string): string => `h.${i}.${local}`;

/** The tensors of one block, by local name, in checkpoint order. */
export const blockTensors = (s: ModelSpec): ReadonlyArray<TensorInfo> => {
  const C = s.nEmbd, F = ffnDim(s), Q = qDim(s);
  if (s._tag === "gpt2") {
    return [
      { name: "ln1w", shape: [C] },
      { name: "ln1b", shape: [C] },
      { name: "qkvw", shape: [3 * Q, C] },
      { name: "qkvb", shape: [3 * Q] },
      { name: "attprojw", shape: [C, Q] },
      { name: "attprojb", shape: [C] },
      { name: "ln2w", shape: [C] },
      { name: "ln2b", shape: [C] },
      { name: "fcw", shape: [F, C] },
      { name: "fcb", shape: [F] },
      { name: "fcprojw", shape: [C, F] },
      { name: "fcprojb", shape: [C] },
    ];
  }
  const KV = kvDim(s), b = rotaryBiases(s), ln = layerNormKind(s);
  const opt = (on: boolean, name: string, shape: Shape): TensorInfo[] => (on ? [{ name, shape }] : []);
  return withoutSharedNorm(s, [
    { name: "attnnorm", shape: [C] },
    ...opt(ln, "attnnormb", [C]),
    { name: "wq", shape: [Q, C] },
    ...opt(b.qkv, "bq", [Q]),
    { name: "wk", shape: [KV, C] },
    ...opt(b.qkv, "bk", [KV]),
    { name: "wv", shape: [KV, C] },
    ...opt(b.qkv, "bv", [KV]),
    { name: "wo", shape: [C, Q] },
    ...opt(b.out, "bo", [C]),
    { name: "ffnnorm", shape: [C] },
    ...opt(ln, "ffnnormb", [C]),
    { name: "w1", shape: [F, C] },
    ...opt(b.mlp, "b1", [F]),
    { name: "w2", shape: [C, F] },
    ...opt(b.mlp, "b2", [C]),
    ...opt(gatedMlp(s), "w3", [F, C]),
    ...opt(gatedMlp(s) && b.mlp, "b3", [F]),
    ...qkNormTensors(s),
  ]);
};

/** Phi-2's parallelShared residual feeds the MLP from the attention's norm: no ffnnorm (nor its bias). */
const withoutSharedNorm = (s: ModelSpec, ts: ReadonlyArray<TensorInfo>): ReadonlyArray<TensorInfo> =>
  parallelResidual(s) === "parallelShared" ? ts.filter((t) => t.name !== "ffnnorm" && t.name !== "ffnnormb") : ts;

/** Qwen3's per-head q and k norm gains, D each (shared by the heads), when the spec has them. */
const qkNormTensors = (s: ModelSpec): ReadonlyArray<TensorInfo> =>
  s._tag === "llama" && s.qkNorm === true
    ? [{ name: "qnorm", shape: [headDim(s)] }, { name: "knorm", shape: [headDim(s)] }]
    : [];

/** Tensors outside the blocks: embeddings, final norm, and an untied LM head. */
export const globalTensors = (s: ModelSpec): ReadonlyArray<TensorInfo> => {
  const C = s.nEmbd;
  const wte = { name: "wte", shape: [s.vocabSize, C] };
  if (s._tag === "gpt2") {
    return [wte, { name: "wpe", shape: [s.blockSize, C] }, { name: "lnfw", shape: [C] }, { name: "lnfb", shape: [C] }];
  }
  const head = isTied(s) ? [] : [{ name: "lmhead", shape: [s.vocabSize, C] }];
  const normfb = layerNormKind(s) ? [{ name: "normfb", shape: [C] }] : [];
  const headb = rotaryBiases(s).head ? [{ name: "lmheadb", shape: [s.vocabSize] }] : [];
  return [wte, { name: "normf", shape: [C] }, ...normfb, ...head, ...headb];
};

/** Every tensor of the model: globals first, then blocks 0..L-1. */
export const allTensors = (s: ModelSpec): ReadonlyArray<TensorInfo> => [
  ...globalTensors(s),
  ...Array.from(
    { length: s.nLayer },
    (_, i) => blockTensors(s).map((t) => ({ name: blockName(i, t.name), shape: t.shape })),
  ).flat(),
];

export const blockParams = (s: ModelSpec): number => blockTensors(s).reduce((n, t) => n + numel(t.shape), 0);
export const globalParams = (s: ModelSpec): number => globalTensors(s).reduce((n, t) => n + numel(t.shape), 0);
/** Parameter count; a tied head is counted once. */
export const paramCount = (s: ModelSpec): number => globalParams(s) + s.nLayer * blockParams(s);

/** Look up a tensor that decoding guaranteed; a miss is a broken invariant, so it throws. */
export const unsafeTensor = (w: Weights, name: string): Float32Array => {
  const t = w[name];
  if (t === undefined) throw new Error(`Cannot find tensor ${name}: the weights do not hold it`);
  return t;
};

/** Problems with weights against a spec (missing, extra or wrongly sized tensors), empty when they fit. */
export const weightProblems = (s: ModelSpec, w: Weights): ReadonlyArray<string> => {
  const infos = allTensors(s);
  const expected = new Set(infos.map((t) => t.name));
  return [
    ...infos.flatMap((t) => {
      const a = w[t.name];
      if (a === undefined) return [`tensor ${t.name} is missing`];
      return a.length === numel(t.shape)
        ? []
        : [`tensor ${t.name} has ${a.length} values, expected ${numel(t.shape)} (${t.shape.join("×")})`];
    }),
    ...Object.keys(w).filter((k) => !expected.has(k)).map((k) => `tensor ${k} is not part of the spec`),
  ];
};
