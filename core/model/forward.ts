/**
 * CPU reference forward pass for both families: the oracle every GPU kernel is tested against.
 * Plain on purpose: one sequence at a time, ops from core/ops, no fusion.
 * Shapes: tokens (B, T) int32; residual stream (T, C) per sequence; logits (B, T, V).
 * A block takes positions pos0..pos0+T−1 and the K/V of earlier positions (a cache), so the same
 * code serves full sequences (pos0 = 0) and token-by-token decoding.
 * Every function runs in the precision of the weights it is given (core/model/floats.ts): f32 for models,
 * float64 for the finite-difference checks of core/model/backward.ts.
 * @module
 */
import { alloc, type Floats, type FloatWeights, unsafeTensorOf } from "./floats.ts";
import { gelu, geluErf } from "../ops/activations.ts";
import { causalAttention } from "../ops/attention/attention.ts";
import { embed } from "../ops/embed.ts";
import { linear } from "../ops/matmul/matmul.ts";
import { layerNorm, rmsNorm } from "../ops/norms/norms.ts";
import { add } from "../ops/residual_add.ts";
import { rope } from "../ops/rope.ts";
import { gatedMlp, layerNormKind, mlpActivation, rotaryBiases } from "./features.ts";
import { ffnDim, headDim, isTied, kvDim, kvHeads, type ModelSpec, parallelResidual, qDim, rotaryDims } from "./spec.ts";
import { gatedActivation, normGain, qkNormed } from "./rotary_features.ts";
import { blockName } from "./tensors.ts";

/** K and V of one block for positions 0..S−1: (S, KV) each. */
export interface KvRows<A extends Floats = Float32Array> {
  readonly k: A;
  readonly v: A;
}
export const emptyKv: KvRows = { k: new Float32Array(0), v: new Float32Array(0) };

const concat = <A extends Floats>(a: Floats, b: A): A => {
  const c = alloc(b, a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
};

/** Columns [from, from+width) of a (T, W) matrix. */
export const columns = <A extends Floats>(x: A, T: number, W: number, from: number, width: number): A => {
  const y = alloc(x, T * width);
  for (let t = 0; t < T; t++) y.set(x.subarray(t * W + from, t * W + from + width), t * width);
  return y;
};

/** Attention half of a block: its input is already normalised. q and the heads' output are (T, Q), Q = NH·D. Returns the projected output and the grown K/V. */
const attention = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  xn: A,
  T: number,
  pos0: number,
  past: KvRows<A>,
) => {
  const C = s.nEmbd, Q = qDim(s), KV = kvDim(s), D = headDim(s), W = (n: string) => unsafeTensorOf(w, blockName(i, n));
  let q: A, k: A, v: A;
  if (s._tag === "gpt2") {
    const qkv = linear(xn, W("qkvw"), W("qkvb"), T, C, 3 * Q); // (T, 3Q): q | k | v
    [q, k, v] = [columns(qkv, T, 3 * Q, 0, Q), columns(qkv, T, 3 * Q, Q, Q), columns(qkv, T, 3 * Q, 2 * Q, Q)];
  } else {
    const R = rotaryDims(s), b = (n: string) => optionalBias(w, i, n, rotaryBiases(s).qkv);
    const [qn, kn] = [
      qkNormed(s, w, i, "qnorm", linear(xn, W("wq"), b("bq"), T, C, Q)),
      qkNormed(s, w, i, "knorm", linear(xn, W("wk"), b("bk"), T, C, KV)),
    ];
    q = rope(qn, T, s.nHead, D, pos0, s.ropeTheta, s.ropeStyle, R, s.ropeScaling);
    k = rope(kn, T, kvHeads(s), D, pos0, s.ropeTheta, s.ropeStyle, R, s.ropeScaling);
    v = linear(xn, W("wv"), b("bv"), T, C, KV);
  }
  const kv = { k: concat(past.k, k), v: concat(past.v, v) };
  const a = causalAttention(q, kv.k, kv.v, { T, pos0, nHead: s.nHead, nKvHead: kvHeads(s), headDim: D });
  const out = s._tag === "gpt2"
    ? linear(a, W("attprojw"), W("attprojb"), T, Q, C)
    : linear(a, W("wo"), optionalBias(w, i, "bo", rotaryBiases(s).out), T, Q, C);
  return { out, kv };
};

/** Block i's bias `name` when the feature that adds it is on, else none. */
export const optionalBias = <A extends Floats>(w: FloatWeights<A>, i: number, name: string, on: boolean) =>
  on ? unsafeTensorOf(w, blockName(i, name)) : undefined;

/** The ungated MLP's activation: tanh GELU (GPT-2, gelu_new) or the exact erf GELU. */
export const ungatedActivation = <A extends Floats>(s: ModelSpec, x: A): A =>
  mlpActivation(s) === "geluErf" ? geluErf(x) : gelu(x);

/** Feed-forward half of a block: GELU MLP (GPT-2, ungated rotary kinds) or SwiGLU (Llama), input already normalised. */
const mlp = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>, i: number, xn: A, T: number): A => {
  const C = s.nEmbd, F = ffnDim(s), W = (n: string) => unsafeTensorOf(w, blockName(i, n));
  if (s._tag === "gpt2") {
    return linear(gelu(linear(xn, W("fcw"), W("fcb"), T, C, F)), W("fcprojw"), W("fcprojb"), T, F, C);
  }
  const b = (n: string) => optionalBias(w, i, n, rotaryBiases(s).mlp);
  const act = gatedMlp(s)
    ? gatedActivation(s, linear(xn, W("w1"), b("b1"), T, C, F), linear(xn, W("w3"), b("b3"), T, C, F))
    : ungatedActivation(s, linear(xn, W("w1"), b("b1"), T, C, F));
  return linear(act, W("w2"), b("b2"), T, F, C);
};

/** Which norm: block i's attention (1) or MLP (2) pre-norm, or the final norm. */
export type NormSite = { readonly which: 1 | 2; readonly block: number } | "final";

/** Tensor names of a norm: a gain, and for a LayerNorm (GPT-2's, a rotary decoder's "layer" kind) a bias. */
export const normNames = (s: ModelSpec, site: NormSite): { readonly gain: string; readonly bias?: string } => {
  if (s._tag === "gpt2") {
    return site === "final"
      ? { gain: "lnfw", bias: "lnfb" }
      : { gain: blockName(site.block, `ln${site.which}w`), bias: blockName(site.block, `ln${site.which}b`) };
  }
  const gain = site === "final" ? "normf" : blockName(site.block, site.which === 1 ? "attnnorm" : "ffnnorm");
  return layerNormKind(s) ? { gain, bias: `${gain}b` } : { gain };
};

/** LayerNorm (GPT-2) or RMSNorm (Llama) of T rows: (T, C) → (T, C). */
export const norm = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>, site: NormSite, x: A, T: number): A => {
  const { gain, bias } = normNames(s, site);
  return bias !== undefined
    ? layerNorm(x, unsafeTensorOf(w, gain), unsafeTensorOf(w, bias), T, s.nEmbd, s.normEps)
    : rmsNorm(x, normGain(s, unsafeTensorOf(w, gain)), T, s.nEmbd, s.normEps);
};

/**
 * The MLP's normalised input: norm2 of h = x + attn (sequential), norm2 of the block input x (GPT-NeoX's
 * parallel residual), or the attention's own norm1(x) (Phi-2's parallelShared: one norm feeds both).
 */
export const mlpInput = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  x: A,
  h: A,
  xn1: A,
  T: number,
) => {
  const parallel = parallelResidual(s);
  return parallel === "parallelShared" ? xn1 : norm(s, w, { which: 2, block: i }, parallel ? x : h, T);
};

/**
 * Block i (pre-norm): h = x + attn(norm1(x)), then h + mlp(mlpInput): sequential, or parallel (the MLP reads
 * the block input, not h), both summed as (x + attn) + mlp. x: (T, C) at positions pos0...
 */
export const blockForward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  x: A,
  pos0 = 0,
  past: KvRows<A> = { k: alloc(x, 0), v: alloc(x, 0) },
) => {
  const T = x.length / s.nEmbd, xn1 = norm(s, w, { which: 1, block: i }, x, T);
  const att = attention(s, w, i, xn1, T, pos0, past);
  const h = add(x, att.out);
  return { x: add(h, mlp(s, w, i, mlpInput(s, w, i, x, h, xn1, T), T)), kv: att.kv };
};

/** The LM head's matrix (V, C): the token embedding when tied. */
export const headMatrix = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>): A =>
  unsafeTensorOf(w, isTied(s) ? "wte" : "lmhead");

/** The LM head's bias (V) when the spec has one (Phi-2's lmheadb), else none. */
export const headBias = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>): A | undefined =>
  rotaryBiases(s).head ? unsafeTensorOf(w, "lmheadb") : undefined;

/** Final norm and LM head on any residual (T, C) → logits (T, V): also the "early exit" readout. */
export const headLogits = <A extends Floats>(s: ModelSpec, w: FloatWeights<A>, x: A): A => {
  const C = s.nEmbd, T = x.length / C;
  return linear(norm(s, w, "final", x, T), headMatrix(s, w), headBias(s, w), T, C, s.vocabSize);
};

export interface ForwardResult<A extends Floats = Float32Array> {
  readonly logits: A; // (B, T, V)
  /** Only when asked: stream[k] (B, T, C) is the input of block k; stream[L] feeds the final norm. */
  readonly stream?: ReadonlyArray<A>;
}

/** Full forward of B sequences of T tokens each, every sequence starting at position 0. */
export const forward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  tokens: Int32Array,
  B: number,
  T: number,
  opts: { stream?: boolean } = {},
): ForwardResult<A> => {
  const C = s.nEmbd, V = s.vocabSize, like = unsafeTensorOf(w, "wte");
  const logits = alloc(like, B * T * V);
  const stream = opts.stream ? Array.from({ length: s.nLayer + 1 }, () => alloc(like, B * T * C)) : undefined;
  for (let b = 0; b < B; b++) {
    let x = embed(s, w, tokens.subarray(b * T, (b + 1) * T), 0);
    stream?.[0]?.set(x, b * T * C);
    for (let i = 0; i < s.nLayer; i++) {
      x = blockForward(s, w, i, x).x;
      stream?.[i + 1]?.set(x, b * T * C);
    }
    logits.set(headLogits(s, w, x), b * T * V);
  }
  return stream === undefined ? { logits } : { logits, stream };
};
