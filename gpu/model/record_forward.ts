/**
 * Recording the forward pass into a batch: embedding, blocks (pre-norm, as core/model/forward.ts), final
 * norm and LM head, and the loss. Nothing here waits for the GPU; gpu/model/model.ts submits.
 * Weight matrices too large for one binding are bound as row views, one dispatch each.
 * @module
 */
import { gatedMlp, mlpActivation, rmsGainOffset } from "../../core/model/features.ts";
import {
  embedScaleOf,
  ffnDim,
  headDim,
  kvDim,
  type ModelSpec,
  parallelResidual,
  qDim,
  rotaryDims,
} from "../../core/model/spec.ts";
import type { Activations } from "./activations.ts";
import type { Batch } from "../engine/batch.ts";
import type { ForwardKernels, PackedKernels } from "./forward_kernels.ts";
import { bindingViews, type GpuTensor } from "../engine/tensor.ts";
import type { TransposedWeights } from "./transposed.ts";
import { blockName } from "../../core/model/tensors.ts";
import { blockWeightNames, type DeviceWeights, headWeightNames } from "./weights.ts";

export { blockWeightNames, headWeightNames } from "./weights.ts";

export interface ForwardContext {
  readonly device: GPUDevice;
  readonly spec: ModelSpec;
  readonly k: ForwardKernels;
  readonly w: DeviceWeights;
  readonly wt: TransposedWeights; // Wᵀ pieces for the fast linear kernel (gpu/model/transposed.ts)
  readonly dummy: GpuTensor<"f32">; // bound where a kernel's optional input is unused
  readonly maxBinding: number;
}

export const weight = (cx: ForwardContext, name: string): GpuTensor<"f32"> => {
  const t = cx.w[name];
  if (t === undefined) throw new Error(`Cannot record the forward pass: weight ${name} is not on the device`);
  return t;
};

interface LinearArgs {
  readonly x: GpuTensor<"f32">;
  readonly xRow0?: number;
  readonly N: number;
  readonly I: number;
  readonly w: string;
  readonly b?: string;
  readonly res?: GpuTensor<"f32">;
  readonly y: GpuTensor<"f32">;
  readonly ldy: number;
}

/**
 * y = x·Wᵀ (+ b) (+ res), one dispatch per row view of W: the profile's fast kernel on Wᵀ where
 * the view has one (its strided build where y's rows are not whole vec4s), else the scalar kernel on W.
 * Same bits either way.
 */
export const recordLinear = (cx: ForwardContext, batch: Batch, a: LinearArgs): void => {
  const transposed = cx.wt[a.w] ?? [];
  bindingViews(cx.device, weight(cx, a.w), a.I, cx.maxBinding).forEach(({ span, view }, idx) => {
    const u = {
      N: a.N,
      I: a.I,
      O: span.rows,
      ldy: a.ldy,
      yOff: span.firstRow,
      bOff: span.firstRow,
      useBias: a.b ? 1 : 0,
      useRes: a.res ? 1 : 0,
      xRow0: a.xRow0 ?? 0,
    };
    const io = { x: a.x, b: a.b ? weight(cx, a.b) : cx.dummy, res: a.res ?? cx.dummy, y: a.y };
    const wt = transposed[idx];
    if (wt !== undefined && a.ldy % 4 === 0) batch.dispatch(cx.k.matmulFast, { ...io, wt }, u);
    else if (wt !== undefined) batch.dispatch(cx.k.matmulFastStrided, { ...io, wt }, u); // y rows not vec4s: logits (N, V)
    else batch.dispatch(cx.k.matmul, { ...io, w: view }, u);
  });
};

/** Where a block's attention finds its keys and values when decoding one sequence with a KV cache. */
export interface DecodeAt {
  readonly cache: GpuTensor<"f32">; // this block's (capacity, 2·KV): k then v per position
  readonly capacity: number;
  readonly pos0: number; // position of the first new row
}

/**
 * Where a packed pass (many sequences side by side, core/eval/packed_layout.ts) finds each row's position
 * (rope, GPT-2's learned positions) and the keys each row sees; its kernels read those buffers.
 */
export interface PackedAt {
  readonly k: PackedKernels;
  readonly positions: GpuTensor<"i32">; // (N)
  readonly spans: GpuTensor<"i32">; // (N, 3): row i sees keys [s0, s1) ∪ [s2, i]
}

const isPacked = (at: DecodeAt | PackedAt | undefined): at is PackedAt => at !== undefined && "spans" in at;

/** The embedding of acts.tokens at positions pos0 + t, or a packed pass's own positions. */
export const recordEmbed = (
  cx: ForwardContext,
  batch: Batch,
  acts: Activations,
  pos0: number | PackedAt = 0,
  out: GpuTensor<"f32"> = acts.f32.x,
): void => {
  const C = cx.spec.nEmbd, wpe = cx.spec._tag === "gpt2" ? weight(cx, "wpe") : cx.dummy;
  for (const { span, view } of bindingViews(cx.device, weight(cx, "wte"), C, cx.maxBinding)) {
    const io = { tokens: acts.tokens, wte: view, wpe, out }, usePos = cx.spec._tag === "gpt2" ? 1 : 0;
    const u = { N: acts.N, T: acts.T, C, pos0: 0, usePos, v0: span.firstRow, vCount: span.rows };
    if (typeof pos0 === "number") batch.dispatch(cx.k.embed, io, { ...u, pos0 });
    else batch.dispatch(pos0.k.embed, { ...io, pos: pos0.positions }, u);
  }
  const k = embedScaleOf(cx.spec); // Gemma: times √C
  if (k !== 1) batch.dispatch(cx.k.embedScale, { x: out }, { n: acts.N * C, k });
};

/** The tensors one block reads and writes. Inference shares one set across blocks; training keeps one per block for the backward pass. */
export interface BlockBuffers {
  readonly xin: GpuTensor<"f32">; // (N, C) block input
  readonly mid: GpuTensor<"f32">; // (N, C) after the attention residual
  readonly xout: GpuTensor<"f32">; // (N, C) block output (may be xin itself)
  readonly xn1: GpuTensor<"f32">;
  readonly mean1: GpuTensor<"f32">;
  readonly rstd1: GpuTensor<"f32">;
  readonly qkv: GpuTensor<"f32">;
  readonly att: GpuTensor<"f32">;
  readonly lse: GpuTensor<"f32">;
  readonly xn2: GpuTensor<"f32">;
  readonly mean2: GpuTensor<"f32">;
  readonly rstd2: GpuTensor<"f32">;
  readonly h: GpuTensor<"f32">;
  readonly g: GpuTensor<"f32">;
  readonly qkNorm?: { readonly raw: GpuTensor<"f32">; readonly rstd: GpuTensor<"f32"> }; // Qwen3: (N, W), (N, NH + NKV)
}

export const sharedBlockBuffers = (a: Activations): BlockBuffers => {
  const f = a.f32;
  return {
    xin: f.x,
    mid: f.x2,
    xout: f.x,
    xn1: f.xn,
    mean1: f.mean,
    rstd1: f.rstd,
    qkv: f.qkv,
    att: f.att,
    lse: f.lse,
    xn2: f.xn,
    mean2: f.mean,
    rstd2: f.rstd,
    h: f.h,
    g: f.g,
    ...(a.qkNorm === undefined ? {} : { qkNorm: a.qkNorm }),
  };
};

/** out = norm(x) with the named gain (and bias: LayerNorm; none: RMSNorm); row statistics kept. */
export const recordNorm = (
  cx: ForwardContext,
  batch: Batch,
  N: number,
  x: GpuTensor<"f32">,
  w: string,
  b: string | undefined,
  out: GpuTensor<"f32">,
  mean: GpuTensor<"f32">,
  rstd: GpuTensor<"f32">,
): void => {
  const C = cx.spec.nEmbd, eps = cx.spec.normEps;
  if (b !== undefined) {
    batch.dispatch(cx.k.layerNorm, { x, w: weight(cx, w), b: weight(cx, b), out, mean, rstd }, { N, C, eps });
  } else batch.dispatch(cx.k.rmsNorm, { x, w: weight(cx, w), out, rstd }, { N, C, eps, g0: rmsGainOffset(cx.spec) });
};

const withBias = (b: string | undefined) => (b === undefined ? {} : { b });

/**
 * Block i (pre-norm, as core/model/forward.ts): bb.xin → bb.xout through bb.mid = xin + attn (the MLP then reads
 * xin's norm in the parallel residuals, and adds to mid all the same); with a DecodeAt, the rows are
 * new positions of a cached sequence; with a PackedAt, sequences packed side by side. qkv (N, W = Q + 2·KV), att (N, Q), Q = NH·D: the kernels'
 * uniform C is Q, the column where k starts and the attention output's row width.
 */
export const recordBlock = (
  cx: ForwardContext,
  batch: Batch,
  shape: { B: number; T: number; N: number },
  bb: BlockBuffers,
  i: number,
  at?: DecodeAt | PackedAt,
): void => {
  const s = cx.spec,
    { B, T, N } = shape,
    C = s.nEmbd,
    Q = qDim(s),
    F = ffnDim(s),
    KV = kvDim(s),
    W = Q + 2 * KV,
    D = headDim(s);
  const wn = blockWeightNames(s, i);
  recordNorm(cx, batch, N, bb.xin, wn.norm1, wn.norm1b, bb.xn1, bb.mean1, bb.rstd1);
  recordLinear(cx, batch, { x: bb.xn1, N, I: C, w: wn.qkv, ...withBias(wn.qkvb), y: bb.qkv, ldy: W });
  recordQkNorm(cx, batch, N, bb, i);
  if (s._tag === "llama") {
    const io = { qkv: bb.qkv, cosT: weight(cx, "rope.cos"), sinT: weight(cx, "rope.sin") };
    const u = { N, T, pos0: 0, NH: s.nHead, NKV: s.nKvHead, D, W, C: Q, R: rotaryDims(s), half: 0, sign: 1 };
    const half = s.ropeStyle === "half" ? 1 : 0;
    if (isPacked(at)) batch.dispatch(at.k.rope, { ...io, pos: at.positions }, { ...u, half });
    else batch.dispatch(cx.k.rope, io, { ...u, half, pos0: at?.pos0 ?? 0 });
  }
  const head = { B, T, NH: s.nHead, NKV: s._tag === "gpt2" ? s.nHead : s.nKvHead, D, W, C: Q, scale: 1 / Math.sqrt(D) };
  const ownKeys = { ...head, S: T, kvW: W, kOff: Q, vOff: Q + KV, pos0: 0 }; // the pass's own qkv as keys and values
  if (isPacked(at)) {
    batch.dispatch(at.k.attention, { qkv: bb.qkv, kv: bb.qkv, out: bb.att, spans: at.spans }, ownKeys);
  } else if (at === undefined) {
    batch.dispatch(cx.k.attention, { qkv: bb.qkv, kv: bb.qkv, out: bb.att, lse: bb.lse }, ownKeys);
  } else {
    batch.dispatch(cx.k.kvAppend, { qkv: bb.qkv, cache: at.cache }, { N, W, C: Q, KV2: 2 * KV, pos0: at.pos0 });
    batch.dispatch(cx.k.attention, { qkv: bb.qkv, kv: at.cache, out: bb.att, lse: bb.lse }, {
      ...head,
      S: at.capacity,
      kvW: 2 * KV,
      kOff: 0,
      vOff: KV,
      pos0: at.pos0,
    });
  }
  recordLinear(cx, batch, { x: bb.att, N, I: Q, w: wn.proj, ...withBias(wn.projb), res: bb.xin, y: bb.mid, ldy: C });
  // The MLP's input: norm2(mid), norm2(xin) for a parallel residual, xn1 itself for parallelShared (one norm).
  const parallel = parallelResidual(s), xn2 = parallel === "parallelShared" ? bb.xn1 : bb.xn2;
  if (parallel !== "parallelShared") {
    recordNorm(cx, batch, N, parallel ? bb.xin : bb.mid, wn.norm2, wn.norm2b, bb.xn2, bb.mean2, bb.rstd2);
  }
  recordLinear(cx, batch, {
    x: xn2,
    N,
    I: C,
    w: wn.up,
    ...withBias(wn.upb),
    y: bb.h,
    ldy: gatedMlp(s) ? 2 * F : F,
  });
  recordActivation(cx, batch, bb, N, F);
  recordLinear(cx, batch, { x: bb.g, N, I: F, w: wn.down, ...withBias(wn.downb), res: bb.mid, y: bb.xout, ldy: C });
};

/**
 * The MLP's activation of bb.h into bb.g: tanh GELU (GPT-2, geluTanh), exact GELU (geluErf), SwiGLU or GeGLU
 * (Gemma) on h = [gate | up].
 */
const recordActivation = (cx: ForwardContext, batch: Batch, bb: BlockBuffers, N: number, F: number): void => {
  const act = mlpActivation(cx.spec);
  if (act === "swiglu") batch.dispatch(cx.k.swiglu, { h: bb.h, out: bb.g }, { N, F });
  else if (act === "geglu") batch.dispatch(cx.k.geglu, { h: bb.h, out: bb.g }, { N, F });
  else batch.dispatch(act === "geluErf" ? cx.k.geluErf : cx.k.gelu, { inp: bb.h, out: bb.g }, { n: N * F });
};

/** The heads of q (h0 = 0) or of k (h0 = NH) in a (N, Q + 2·KV) qkv row: the head-norm kernels' uniforms. */
export const qkHeads = (s: ModelSpec, N: number, which: "q" | "k") => {
  const NH = s.nHead, NKV = s._tag === "llama" ? s.nKvHead : s.nHead;
  return {
    N,
    W: qDim(s) + 2 * kvDim(s),
    D: headDim(s),
    h0: which === "q" ? 0 : NH,
    H: which === "q" ? NH : NKV,
    HT: NH + NKV,
  };
};

/** Qwen3: each head of q and of k RMS-normalised in place in bb.qkv (gains qnorm, knorm), before the rotary. */
const recordQkNorm = (cx: ForwardContext, batch: Batch, N: number, bb: BlockBuffers, i: number): void => {
  if (cx.spec._tag !== "llama" || cx.spec.qkNorm !== true) return;
  if (bb.qkNorm === undefined) throw new Error("Cannot record the q/k norms: the block has no buffers for them");
  for (const which of ["q", "k"] as const) {
    const w = weight(cx, blockName(i, `${which}norm`)), { raw, rstd } = bb.qkNorm;
    batch.dispatch(cx.k.headNorm, { qkv: bb.qkv, w, raw, rstd }, {
      ...qkHeads(cx.spec, N, which),
      eps: cx.spec.normEps,
    });
  }
};

/** Final norm of x (default acts.x) into acts.xn and the LM head into the logits chunks; the loss when asked. */
export const recordHead = (
  cx: ForwardContext,
  batch: Batch,
  acts: Activations,
  loss: boolean,
  x: GpuTensor<"f32"> = acts.f32.x,
): void => {
  const s = cx.spec, C = s.nEmbd, V = s.vocabSize, hn = headWeightNames(s);
  recordNorm(cx, batch, acts.N, x, hn.norm, hn.normb, acts.f32.xn, acts.f32.mean, acts.f32.rstd);
  for (const chunk of acts.logits) {
    recordLinear(cx, batch, {
      x: acts.f32.xn,
      xRow0: chunk.firstRow,
      N: chunk.rows,
      I: C,
      w: hn.head,
      ...withBias(hn.headb),
      y: chunk.tensor,
      ldy: V,
    });
    if (loss) {
      batch.dispatch(cx.k.crossEntropy, { logits: chunk.tensor, targets: acts.targets, losses: acts.f32.losses }, {
        N: chunk.rows,
        V,
        row0: chunk.firstRow,
      });
    }
  }
};
