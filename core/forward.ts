/**
 * CPU reference forward pass for both families: the oracle every GPU kernel is tested against.
 * Plain on purpose: one sequence at a time, ops from core/ops, no fusion.
 * Shapes: tokens (B, T) int32; residual stream (T, C) per sequence; logits (B, T, V).
 * A block takes positions pos0..pos0+T−1 and the K/V of earlier positions (a cache), so the same
 * code serves full sequences (pos0 = 0) and token-by-token decoding.
 * @module
 */
import { add, gelu, swiglu } from "./ops/activations.ts";
import { causalAttention } from "./ops/attention.ts";
import { linear } from "./ops/linear.ts";
import { layerNorm, rmsNorm } from "./ops/norms.ts";
import { rope } from "./ops/rope.ts";
import { ffnDim, headDim, isTied, kvDim, kvHeads, type ModelSpec } from "./spec.ts";
import { blockName, unsafeTensor, type Weights } from "./tensors.ts";

/** K and V of one block for positions 0..S−1: (S, KV) each. */
export interface KvRows {
  readonly k: Float32Array;
  readonly v: Float32Array;
}
export const emptyKv: KvRows = { k: new Float32Array(0), v: new Float32Array(0) };

const concat = (a: Float32Array, b: Float32Array): Float32Array => {
  const c = new Float32Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
};

/** Columns [from, from+width) of a (T, W) matrix. */
const columns = (x: Float32Array, T: number, W: number, from: number, width: number): Float32Array => {
  const y = new Float32Array(T * width);
  for (let t = 0; t < T; t++) y.set(x.subarray(t * W + from, t * W + from + width), t * width);
  return y;
};

/** Token (and, for GPT-2, learned position) embedding of one sequence: (T) → (T, C). */
export const embed = (s: ModelSpec, w: Weights, tokens: ArrayLike<number>, pos0: number): Float32Array => {
  const C = s.nEmbd, T = tokens.length;
  const wte = unsafeTensor(w, "wte");
  const x = new Float32Array(T * C);
  for (let t = 0; t < T; t++) x.set(wte.subarray(tokens[t]! * C, (tokens[t]! + 1) * C), t * C);
  if (s._tag === "llama") return x;
  const wpe = unsafeTensor(w, "wpe");
  return add(x, wpe.subarray(pos0 * C, (pos0 + T) * C));
};

/** Attention half of a block: its input is already normalised. Returns the projected output and the grown K/V. */
const attention = (s: ModelSpec, w: Weights, i: number, xn: Float32Array, T: number, pos0: number, past: KvRows) => {
  const C = s.nEmbd, KV = kvDim(s), D = headDim(s), W = (n: string) => unsafeTensor(w, blockName(i, n));
  let q: Float32Array, k: Float32Array, v: Float32Array;
  if (s._tag === "gpt2") {
    const qkv = linear(xn, W("qkvw"), W("qkvb"), T, C, 3 * C);
    [q, k, v] = [columns(qkv, T, 3 * C, 0, C), columns(qkv, T, 3 * C, C, C), columns(qkv, T, 3 * C, 2 * C, C)];
  } else {
    q = rope(linear(xn, W("wq"), undefined, T, C, C), T, s.nHead, D, pos0, s.ropeTheta, s.ropeStyle);
    k = rope(linear(xn, W("wk"), undefined, T, C, KV), T, kvHeads(s), D, pos0, s.ropeTheta, s.ropeStyle);
    v = linear(xn, W("wv"), undefined, T, C, KV);
  }
  const kv = { k: concat(past.k, k), v: concat(past.v, v) };
  const a = causalAttention(q, kv.k, kv.v, { T, pos0, nHead: s.nHead, nKvHead: kvHeads(s), headDim: D });
  const out = s._tag === "gpt2" ? linear(a, W("attprojw"), W("attprojb"), T, C, C) : linear(a, W("wo"), undefined, T, C, C);
  return { out, kv };
};

/** Feed-forward half of a block: GELU MLP (GPT-2) or SwiGLU (Llama), input already normalised. */
const mlp = (s: ModelSpec, w: Weights, i: number, xn: Float32Array, T: number): Float32Array => {
  const C = s.nEmbd, F = ffnDim(s), W = (n: string) => unsafeTensor(w, blockName(i, n));
  if (s._tag === "gpt2") return linear(gelu(linear(xn, W("fcw"), W("fcb"), T, C, F)), W("fcprojw"), W("fcprojb"), T, F, C);
  return linear(swiglu(linear(xn, W("w1"), undefined, T, C, F), linear(xn, W("w3"), undefined, T, C, F)), W("w2"), undefined, T, F, C);
};

const norm1 = (s: ModelSpec, w: Weights, i: number, x: Float32Array, T: number) =>
  s._tag === "gpt2"
    ? layerNorm(x, unsafeTensor(w, blockName(i, "ln1w")), unsafeTensor(w, blockName(i, "ln1b")), T, s.nEmbd, s.normEps)
    : rmsNorm(x, unsafeTensor(w, blockName(i, "attnnorm")), T, s.nEmbd, s.normEps);

const norm2 = (s: ModelSpec, w: Weights, i: number, x: Float32Array, T: number) =>
  s._tag === "gpt2"
    ? layerNorm(x, unsafeTensor(w, blockName(i, "ln2w")), unsafeTensor(w, blockName(i, "ln2b")), T, s.nEmbd, s.normEps)
    : rmsNorm(x, unsafeTensor(w, blockName(i, "ffnnorm")), T, s.nEmbd, s.normEps);

/** Block i (pre-norm): x + attn(norm1(x)), then + mlp(norm2(·)). x: (T, C) at positions pos0... */
export const blockForward = (s: ModelSpec, w: Weights, i: number, x: Float32Array, pos0 = 0, past: KvRows = emptyKv) => {
  const T = x.length / s.nEmbd;
  const att = attention(s, w, i, norm1(s, w, i, x, T), T, pos0, past);
  const h = add(x, att.out);
  return { x: add(h, mlp(s, w, i, norm2(s, w, i, h, T), T)), kv: att.kv };
};

/** Final norm and LM head on any residual (T, C) → logits (T, V): also the "early exit" readout. */
export const headLogits = (s: ModelSpec, w: Weights, x: Float32Array): Float32Array => {
  const C = s.nEmbd, T = x.length / C;
  const xn = s._tag === "gpt2"
    ? layerNorm(x, unsafeTensor(w, "lnfw"), unsafeTensor(w, "lnfb"), T, C, s.normEps)
    : rmsNorm(x, unsafeTensor(w, "normf"), T, C, s.normEps);
  return linear(xn, unsafeTensor(w, isTied(s) ? "wte" : "lmhead"), undefined, T, C, s.vocabSize);
};

export interface ForwardResult {
  readonly logits: Float32Array; // (B, T, V)
  /** Only when asked: stream[k] (B, T, C) is the input of block k; stream[L] feeds the final norm. */
  readonly stream?: ReadonlyArray<Float32Array>;
}

/** Full forward of B sequences of T tokens each, every sequence starting at position 0. */
export const forward = (s: ModelSpec, w: Weights, tokens: Int32Array, B: number, T: number, opts: { stream?: boolean } = {}): ForwardResult => {
  const C = s.nEmbd, V = s.vocabSize;
  const logits = new Float32Array(B * T * V);
  const stream = opts.stream ? Array.from({ length: s.nLayer + 1 }, () => new Float32Array(B * T * C)) : undefined;
  for (let b = 0; b < B; b++) {
    let x = embed(s, w, tokens.subarray(b * T, (b + 1) * T), 0);
    stream?.[0]!.set(x, b * T * C);
    for (let i = 0; i < s.nLayer; i++) {
      x = blockForward(s, w, i, x).x;
      stream?.[i + 1]!.set(x, b * T * C);
    }
    logits.set(headLogits(s, w, x), b * T * V);
  }
  return stream === undefined ? { logits } : { logits, stream };
};
