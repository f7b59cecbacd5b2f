/**
 * One block of the CPU reference backward (core/model/backward.ts): a forward that keeps what the
 * backward needs, then the backward from the math, op by op in reverse.
 * The forward mirrors core/model/forward.ts `blockForward` (same ops, same order) on N = B·T rows at once:
 * row-wise ops (norms, linears, activations) give bit-identical rows either way; rotary positions
 * and causal attention run per sequence, each sequence at positions 0..T−1.
 * Shapes: x, h (N, C); q, att (N, Q), Q = NH·D; k, v (N, KV); MLP hidden (N, F).
 * @module
 */
import { alloc, type Floats, type FloatWeights, unsafeTensorOf } from "./floats.ts";
import { columns, mlpInput, norm, normNames, type NormSite, optionalBias, ungatedActivation } from "./forward.ts";
import { gatedMlp, mlpActivation, rotaryBiases } from "./features.ts";
import { gelu } from "../ops/activations.ts";
import { add } from "../ops/residual_add.ts";
import { geluBackward, geluErfBackward } from "../ops/activations_backward.ts";
import { causalAttention } from "../ops/attention/attention.ts";
import { causalAttentionBackward } from "../ops/attention/attention_backward.ts";
import { linear } from "../ops/matmul/matmul.ts";
import { linearBackward } from "../ops/matmul/matmul_backward.ts";
import { layerNormBackward, rmsNormBackward } from "../ops/norms/norms_backward.ts";
import { rope, ropeBackward } from "../ops/rope.ts";
import { ffnDim, headDim, kvDim, kvHeads, type ModelSpec, parallelResidual, qDim, rotaryDims } from "./spec.ts";
import { gatedActivation, gatedActivationBackward, normGain, qkNormBackward, qkNormed } from "./rotary_features.ts";
import { blockName } from "./tensors.ts";

/** Gradients by tensor name, filled in as the backward reaches each tensor. */
export type GradSink<A extends Floats> = Record<string, A>;

/** What block i's backward needs from its forward. */
export interface BlockSaved<A extends Floats> {
  readonly x: A; // block input (N, C)
  readonly xn1: A; // attention pre-norm output (N, C)
  readonly q: A; // (N, Q), after rotary for Llama
  readonly k: A; // (N, KV), after rotary for Llama
  readonly v: A; // (N, KV)
  readonly att: A; // attention output before its projection (N, Q)
  readonly h: A; // residual after the attention half (N, C)
  readonly xn2: A; // MLP pre-norm output (N, C): xn1 itself for the parallelShared residual
  readonly pre: A; // GPT-2: fc output before GELU; Llama: gate, the w1 output (N, F), or the ungated MLP's w1 output
  readonly up: A; // gated MLPs: the w3 output (N, F); GPT-2 and ungated MLPs: unused, empty
  readonly act: A; // GELU(pre) or swiglu/geglu(gate, up) (N, F)
  readonly qRaw?: A; // Qwen3: q and k before their per-head norms (N, Q), (N, KV)
  readonly kRaw?: A;
}

/** B sequences of T positions each, N = B·T rows. */
export interface Dims {
  readonly B: number;
  readonly T: number;
  readonly N: number;
}

/** Record block i's gradients, given by local tensor name. */
const put = <A extends Floats>(g: GradSink<A>, i: number, grads: Readonly<Record<string, A>>): void => {
  for (const [name, a] of Object.entries(grads)) g[blockName(i, name)] = a;
};

/** Rows of sequence b in a (B·T, W) matrix. */
const rowsOf = <A extends Floats>(x: A, b: number, T: number, W: number): A =>
  x.subarray(b * T * W, (b + 1) * T * W) as A;

/** Rotary (or its backward) on each sequence of a (B·T, H·D) matrix, positions 0..T−1. */
const ropeRows = <A extends Floats>(s: ModelSpec, x: A, d: Dims, H: number, backward: boolean): A => {
  if (s._tag !== "llama") throw new Error(`Cannot apply rotary to a ${s._tag} model: it has learned positions`);
  const D = headDim(s), y = alloc(x, x.length);
  for (let b = 0; b < d.B; b++) {
    y.set(
      (backward ? ropeBackward : rope)(
        rowsOf(x, b, d.T, H * D),
        d.T,
        H,
        D,
        0,
        s.ropeTheta,
        s.ropeStyle,
        rotaryDims(s),
        s.ropeScaling,
      ),
      b * d.T * H * D,
    );
  }
  return y;
};

const attentionShape = (s: ModelSpec, T: number) => ({
  T,
  pos0: 0,
  nHead: s.nHead,
  nKvHead: kvHeads(s),
  headDim: headDim(s),
});

/** Block i's forward on (N, C) rows, as core/model/forward.ts `blockForward`, keeping what its backward needs. */
export const blockForwardSaved = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  x: A,
  d: Dims,
): { y: A; saved: BlockSaved<A> } => {
  const { N, T } = d,
    C = s.nEmbd,
    Q = qDim(s),
    KV = kvDim(s),
    F = ffnDim(s),
    W = (n: string) => unsafeTensorOf(w, blockName(i, n));
  const gpt2 = s._tag === "gpt2";
  const xn1 = norm(s, w, { which: 1, block: i }, x, N);
  let q: A, k: A, v: A, raw: { qRaw?: A; kRaw?: A } = {};
  if (gpt2) {
    const qkv = linear(xn1, W("qkvw"), W("qkvb"), N, C, 3 * Q);
    [q, k, v] = [columns(qkv, N, 3 * Q, 0, Q), columns(qkv, N, 3 * Q, Q, Q), columns(qkv, N, 3 * Q, 2 * Q, Q)];
  } else {
    const b = (n: string) => optionalBias(w, i, n, rotaryBiases(s).qkv);
    const qRaw = linear(xn1, W("wq"), b("bq"), N, C, Q), kRaw = linear(xn1, W("wk"), b("bk"), N, C, KV);
    if (s.qkNorm === true) raw = { qRaw, kRaw };
    q = ropeRows(s, qkNormed(s, w, i, "qnorm", qRaw), d, s.nHead, false);
    k = ropeRows(s, qkNormed(s, w, i, "knorm", kRaw), d, kvHeads(s), false);
    v = linear(xn1, W("wv"), b("bv"), N, C, KV);
  }
  const att = alloc(x, N * Q);
  for (let b = 0; b < d.B; b++) {
    att.set(
      causalAttention(rowsOf(q, b, T, Q), rowsOf(k, b, T, KV), rowsOf(v, b, T, KV), attentionShape(s, T)),
      b * T * Q,
    );
  }
  const bias = rotaryBiases(s), mb = (n: string) => optionalBias(w, i, n, bias.mlp), gated = gatedMlp(s);
  const h = add(
    x,
    gpt2
      ? linear(att, W("attprojw"), W("attprojb"), N, Q, C)
      : linear(att, W("wo"), optionalBias(w, i, "bo", bias.out), N, Q, C),
  );
  const xn2 = mlpInput(s, w, i, x, h, xn1, N);
  const pre = gpt2 ? linear(xn2, W("fcw"), W("fcb"), N, C, F) : linear(xn2, W("w1"), mb("b1"), N, C, F);
  const up = gated ? linear(xn2, W("w3"), mb("b3"), N, C, F) : alloc(x, 0);
  const act = gpt2 ? gelu(pre) : gated ? gatedActivation(s, pre, up) : ungatedActivation(s, pre);
  const y = add(h, gpt2 ? linear(act, W("fcprojw"), W("fcprojb"), N, F, C) : linear(act, W("w2"), mb("b2"), N, F, C));
  return { y, saved: { x, xn1, q, k, v, att, h, xn2, pre, up, act, ...raw } };
};

/** Backward of a norm at `site`: records dgain (and dbias) in g, returns dx (N, C). */
export const normBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  site: NormSite,
  dy: A,
  x: A,
  N: number,
  g: GradSink<A>,
): A => {
  const { gain, bias } = normNames(s, site);
  if (bias === undefined) {
    const r = rmsNormBackward(dy, x, normGain(s, unsafeTensorOf(w, gain)), N, s.nEmbd, s.normEps);
    g[gain] = r.dw;
    return r.dx;
  }
  const r = layerNormBackward(dy, x, unsafeTensorOf(w, gain), N, s.nEmbd, s.normEps);
  g[gain] = r.dw;
  g[bias] = r.db;
  return r.dx;
};

/** dy at the block output → d(xn2), recording the MLP's weight gradients. */
const mlpBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  sv: BlockSaved<A>,
  dy: A,
  N: number,
  g: GradSink<A>,
): A => {
  const C = s.nEmbd, F = ffnDim(s), W = (n: string) => unsafeTensorOf(w, blockName(i, n));
  if (s._tag === "gpt2") {
    const proj = linearBackward(dy, sv.act, W("fcprojw"), N, F, C);
    const fc = linearBackward(geluBackward(proj.dx, sv.pre), sv.xn2, W("fcw"), N, C, F);
    put(g, i, { fcprojw: proj.dw, fcprojb: proj.db, fcw: fc.dw, fcb: fc.db });
    return fc.dx;
  }
  const proj = linearBackward(dy, sv.act, W("w2"), N, F, C), biases = rotaryBiases(s).mlp;
  if (!gatedMlp(s)) {
    const dpre = (mlpActivation(s) === "geluErf" ? geluErfBackward : geluBackward)(proj.dx, sv.pre);
    const fc = linearBackward(dpre, sv.xn2, W("w1"), N, C, F);
    put(g, i, { w2: proj.dw, w1: fc.dw, ...(biases ? { b2: proj.db, b1: fc.db } : {}) });
    return fc.dx;
  }
  const { dgate, dup } = gatedActivationBackward(s, proj.dx, sv.pre, sv.up);
  const gate = linearBackward(dgate, sv.xn2, W("w1"), N, C, F), up = linearBackward(dup, sv.xn2, W("w3"), N, C, F);
  put(g, i, { w2: proj.dw, w1: gate.dw, w3: up.dw, ...(biases ? { b2: proj.db, b1: gate.db, b3: up.db } : {}) });
  return add(gate.dx, up.dx);
};

/** dh, the gradient at the residual after attention → d(xn1), recording the attention's weight gradients. */
const attentionBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  sv: BlockSaved<A>,
  dh: A,
  d: Dims,
  g: GradSink<A>,
): A => {
  const { N, T } = d, C = s.nEmbd, Q = qDim(s), KV = kvDim(s), W = (n: string) => unsafeTensorOf(w, blockName(i, n));
  const proj = linearBackward(dh, sv.att, W(s._tag === "gpt2" ? "attprojw" : "wo"), N, Q, C);
  const dq = alloc(dh, N * Q), dk = alloc(dh, N * KV), dv = alloc(dh, N * KV);
  for (let b = 0; b < d.B; b++) {
    const r = causalAttentionBackward(
      rowsOf(proj.dx, b, T, Q),
      rowsOf(sv.q, b, T, Q),
      rowsOf(sv.k, b, T, KV),
      rowsOf(sv.v, b, T, KV),
      attentionShape(s, T),
    );
    dq.set(r.dq, b * T * Q);
    dk.set(r.dk, b * T * KV);
    dv.set(r.dv, b * T * KV);
  }
  if (s._tag === "gpt2") {
    const dqkv = alloc(dh, N * 3 * Q); // (N, 3Q): columns q | k | v, the inverse of the forward's split
    for (let n = 0; n < N; n++) {
      dqkv.set(rowsOf(dq, n, 1, Q), n * 3 * Q);
      dqkv.set(rowsOf(dk, n, 1, Q), n * 3 * Q + Q);
      dqkv.set(rowsOf(dv, n, 1, Q), n * 3 * Q + 2 * Q);
    }
    const qkv = linearBackward(dqkv, sv.xn1, W("qkvw"), N, C, 3 * Q);
    put(g, i, { attprojw: proj.dw, attprojb: proj.db, qkvw: qkv.dw, qkvb: qkv.db });
    return qkv.dx;
  }
  const dqRaw = qkNormBackward(s, w, i, "qnorm", ropeRows(s, dq, d, s.nHead, true), sv.qRaw ?? sv.q, g);
  const dkRaw = qkNormBackward(s, w, i, "knorm", ropeRows(s, dk, d, kvHeads(s), true), sv.kRaw ?? sv.k, g);
  const lq = linearBackward(dqRaw, sv.xn1, W("wq"), N, C, Q);
  const lk = linearBackward(dkRaw, sv.xn1, W("wk"), N, C, KV);
  const lv = linearBackward(dv, sv.xn1, W("wv"), N, C, KV);
  put(g, i, { wo: proj.dw, wq: lq.dw, wk: lk.dw, wv: lv.dw });
  if (rotaryBiases(s).qkv) put(g, i, { bq: lq.db, bk: lk.db, bv: lv.db });
  if (rotaryBiases(s).out) put(g, i, { bo: proj.db });
  return add(add(lq.dx, lk.dx), lv.dx);
};

/**
 * The parallel residual's backward: y = x + attn(xn1) + mlp(xn2) hands dy to both branches unchanged.
 * parallel (xn2 = norm2(x)): dx = dy + norm2ᵀ(d xn2) + norm1ᵀ(d xn1); parallelShared (xn2 = xn1): the one
 * norm's input gradient sums both branches, dx = dy + norm1ᵀ(d xn2 + d xn1).
 */
const parallelBlockBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  sv: BlockSaved<A>,
  dy: A,
  d: Dims,
  g: GradSink<A>,
): A => {
  const dxn2 = mlpBackward(s, w, i, sv, dy, d.N, g), dxn1 = attentionBackward(s, w, i, sv, dy, d, g);
  if (parallelResidual(s) === "parallelShared") {
    return add(dy, normBackward(s, w, { which: 1, block: i }, add(dxn2, dxn1), sv.x, d.N, g));
  }
  const dmlp = add(dy, normBackward(s, w, { which: 2, block: i }, dxn2, sv.x, d.N, g));
  return add(dmlp, normBackward(s, w, { which: 1, block: i }, dxn1, sv.x, d.N, g));
};

/**
 * Block i's backward: dy (N, C) at its output → dx (N, C) at its input; weight gradients go to g.
 * Sequential: dh = dy + norm2ᵀ(d mlp), then dx = dh + norm1ᵀ(d attn(dh)). Parallel residuals:
 * parallelBlockBackward above.
 */
export const blockBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  sv: BlockSaved<A>,
  dy: A,
  d: Dims,
  g: GradSink<A>,
): A => {
  if (parallelResidual(s) !== undefined) return parallelBlockBackward(s, w, i, sv, dy, d, g);
  const dh = add(dy, normBackward(s, w, { which: 2, block: i }, mlpBackward(s, w, i, sv, dy, d.N, g), sv.h, d.N, g));
  return add(dh, normBackward(s, w, { which: 1, block: i }, attentionBackward(s, w, i, sv, dh, d, g), sv.x, d.N, g));
};
