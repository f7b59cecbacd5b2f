/**
 * Recording the forward pass into a batch: embedding, blocks (pre-norm, as core/forward.ts), final
 * norm and LM head, and the loss. Nothing here waits for the GPU; gpu/model.ts submits.
 * Weight matrices too large for one binding are bound as row views, one dispatch each.
 * @module
 */
import { headDim, isTied, kvDim, type ModelSpec, ffnDim } from "../core/spec.ts";
import { blockName } from "../core/tensors.ts";
import type { Activations } from "./activations.ts";
import type { Batch } from "./batch.ts";
import type { ForwardKernels } from "./forward_kernels.ts";
import type { DeviceWeights } from "./model_weights.ts";
import { bindingViews, type GpuTensor } from "./tensor.ts";

export interface ForwardContext {
  readonly device: GPUDevice;
  readonly spec: ModelSpec;
  readonly k: ForwardKernels;
  readonly w: DeviceWeights;
  readonly dummy: GpuTensor<"f32">; // bound where a kernel's optional input is unused
  readonly maxBinding: number;
}

const weight = (cx: ForwardContext, name: string): GpuTensor<"f32"> => {
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

/** y = x·Wᵀ (+ b) (+ res), one dispatch per row view of W. */
export const recordLinear = (cx: ForwardContext, batch: Batch, a: LinearArgs): void => {
  for (const { span, view } of bindingViews(cx.device, weight(cx, a.w), a.I, cx.maxBinding)) {
    batch.dispatch(cx.k.matmul, { x: a.x, w: view, b: a.b ? weight(cx, a.b) : cx.dummy, res: a.res ?? cx.dummy, y: a.y }, {
      N: a.N, I: a.I, O: span.rows, ldy: a.ldy, yOff: span.firstRow, bOff: span.firstRow,
      useBias: a.b ? 1 : 0, useRes: a.res ? 1 : 0, xRow0: a.xRow0 ?? 0,
    });
  }
};

/** Where a block's attention finds its keys and values when decoding one sequence with a KV cache. */
export interface DecodeAt {
  readonly cache: GpuTensor<"f32">; // this block's (capacity, 2·KV): k then v per position
  readonly capacity: number;
  readonly pos0: number; // position of the first new row
}

export const recordEmbed = (cx: ForwardContext, batch: Batch, acts: Activations, pos0 = 0): void => {
  const C = cx.spec.nEmbd, wpe = cx.spec._tag === "gpt2" ? weight(cx, "wpe") : cx.dummy;
  for (const { span, view } of bindingViews(cx.device, weight(cx, "wte"), C, cx.maxBinding)) {
    batch.dispatch(cx.k.embed, { tokens: acts.tokens, wte: view, wpe, out: acts.f32.x }, {
      N: acts.N, T: acts.T, C, pos0, usePos: cx.spec._tag === "gpt2" ? 1 : 0, v0: span.firstRow, vCount: span.rows,
    });
  }
};

/** Normalise `x` into acts.xn with the named gain (and bias for LayerNorm). */
const recordNorm = (cx: ForwardContext, batch: Batch, acts: Activations, x: GpuTensor<"f32">, w: string, b: string | undefined): void => {
  const { N } = acts, C = cx.spec.nEmbd, eps = cx.spec.normEps, f = acts.f32;
  if (b !== undefined) batch.dispatch(cx.k.layerNorm, { x, w: weight(cx, w), b: weight(cx, b), out: f.xn, mean: f.mean, rstd: f.rstd }, { N, C, eps });
  else batch.dispatch(cx.k.rmsNorm, { x, w: weight(cx, w), out: f.xn, rstd: f.rstd }, { N, C, eps });
};

/** Block i: acts.x → acts.x (through acts.x2); with `at`, the rows are new positions of a cached sequence. */
export const recordBlock = (cx: ForwardContext, batch: Batch, acts: Activations, i: number, at?: DecodeAt): void => {
  const s = cx.spec, { B, T, N } = acts, f = acts.f32, C = s.nEmbd, F = ffnDim(s), W = C + 2 * kvDim(s), D = headDim(s);
  const n = (name: string) => blockName(i, name);
  const gpt2 = s._tag === "gpt2";
  recordNorm(cx, batch, acts, f.x, gpt2 ? n("ln1w") : n("attnnorm"), gpt2 ? n("ln1b") : undefined);
  recordLinear(cx, batch, { x: f.xn, N, I: C, w: gpt2 ? n("qkvw") : n("wqkv"), ...(gpt2 ? { b: n("qkvb") } : {}), y: f.qkv, ldy: W });
  if (s._tag === "llama") {
    batch.dispatch(cx.k.rope, { qkv: f.qkv, cosT: weight(cx, "rope.cos"), sinT: weight(cx, "rope.sin") },
      { N, T, pos0: at?.pos0 ?? 0, NH: s.nHead, NKV: s.nKvHead, D, W, C, half: s.ropeStyle === "half" ? 1 : 0 });
  }
  const KV = kvDim(s), head = { B, T, NH: s.nHead, NKV: gpt2 ? s.nHead : s.nKvHead, D, W, C, scale: 1 / Math.sqrt(D) };
  if (at === undefined) {
    batch.dispatch(cx.k.attention, { qkv: f.qkv, kv: f.qkv, out: f.att, lse: f.lse }, { ...head, S: T, kvW: W, kOff: C, vOff: C + KV, pos0: 0 });
  } else {
    batch.dispatch(cx.k.kvAppend, { qkv: f.qkv, cache: at.cache }, { N, W, C, KV2: 2 * KV, pos0: at.pos0 });
    batch.dispatch(cx.k.attention, { qkv: f.qkv, kv: at.cache, out: f.att, lse: f.lse }, { ...head, S: at.capacity, kvW: 2 * KV, kOff: 0, vOff: KV, pos0: at.pos0 });
  }
  recordLinear(cx, batch, { x: f.att, N, I: C, w: gpt2 ? n("attprojw") : n("wo"), ...(gpt2 ? { b: n("attprojb") } : {}), res: f.x, y: f.x2, ldy: C });
  recordNorm(cx, batch, acts, f.x2, gpt2 ? n("ln2w") : n("ffnnorm"), gpt2 ? n("ln2b") : undefined);
  if (gpt2) {
    recordLinear(cx, batch, { x: f.xn, N, I: C, w: n("fcw"), b: n("fcb"), y: f.h, ldy: F });
    batch.dispatch(cx.k.gelu, { inp: f.h, out: f.g }, { n: N * F });
  } else {
    recordLinear(cx, batch, { x: f.xn, N, I: C, w: n("w13"), y: f.h, ldy: 2 * F });
    batch.dispatch(cx.k.swiglu, { h: f.h, out: f.g }, { N, F });
  }
  recordLinear(cx, batch, { x: f.g, N, I: F, w: gpt2 ? n("fcprojw") : n("w2"), ...(gpt2 ? { b: n("fcprojb") } : {}), res: f.x2, y: f.x, ldy: C });
};

/** Final norm of acts.x and the LM head into the logits chunks; the loss when asked. */
export const recordHead = (cx: ForwardContext, batch: Batch, acts: Activations, loss: boolean): void => {
  const s = cx.spec, C = s.nEmbd, V = s.vocabSize;
  recordNorm(cx, batch, acts, acts.f32.x, s._tag === "gpt2" ? "lnfw" : "normf", s._tag === "gpt2" ? "lnfb" : undefined);
  for (const chunk of acts.logits) {
    recordLinear(cx, batch, { x: acts.f32.xn, xRow0: chunk.firstRow, N: chunk.rows, I: C, w: isTied(s) ? "wte" : "lmhead", y: chunk.tensor, ldy: V });
    if (loss) batch.dispatch(cx.k.crossEntropy, { logits: chunk.tensor, targets: acts.targets, losses: acts.f32.losses }, { N: chunk.rows, V, row0: chunk.firstRow });
  }
};
