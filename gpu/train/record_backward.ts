/**
 * Recording the backward pass into a batch, block by block in reverse, mirroring
 * gpu/model/record_forward.ts and core/model/block_backward.ts. Gradients accumulate (+=) into `grads`, which
 * the step zeroes first, so micro-batches add up. Nothing here waits for the GPU.
 * @module
 */
import { gatedMlp, mlpActivation, rmsGainOffset } from "../../core/model/features.ts";
import { embedScaleOf, ffnDim, headDim, kvDim, parallelResidual, qDim, rotaryDims } from "../../core/model/spec.ts";
import { blockName } from "../../core/model/tensors.ts";
import type { Batch } from "../engine/batch.ts";
import { type BlockBuffers, blockWeightNames, type ForwardContext, qkHeads, weight } from "../model/record_forward.ts";
import { bindingViews, type GpuTensor, viewOf } from "../engine/tensor.ts";
import type { TrainBuffers } from "./buffers.ts";
import type { TrainKernels } from "./train_kernels.ts";

export interface BackwardContext extends ForwardContext {
  readonly k: TrainKernels;
  readonly grads: Readonly<Record<string, GpuTensor<"f32">>>;
}

const grad = (cx: BackwardContext, name: string): GpuTensor<"f32"> => {
  const g = cx.grads[name];
  if (g === undefined) throw new Error(`Cannot record the backward pass: no gradient for ${name}`);
  return g;
};

interface LinearBackwardArgs {
  readonly dy: GpuTensor<"f32">;
  readonly ldy: number;
  readonly x: GpuTensor<"f32">;
  readonly xRow0?: number;
  readonly N: number;
  readonly I: number;
  readonly w: string;
  readonly b?: string | undefined;
  readonly dx?: GpuTensor<"f32">; // left out: no input gradient needed
  readonly dxAccumulate?: boolean;
}

/**
 * dx (+)= dy·W, dW += dyᵀ·x, db += Σ dy; one dispatch per row view of W (and of dW). The
 * register-blocked vec4 kernels where I is a multiple of 4, else the scalar ones: same bits.
 */
export const recordLinearBackward = (cx: BackwardContext, batch: Batch, a: LinearBackwardArgs): void => {
  const w = weight(cx, a.w), g = grad(cx, a.w), fast = a.I % 4 === 0;
  bindingViews(cx.device, w, a.I, cx.maxBinding).forEach(({ span, view }, idx) => {
    if (a.dx) {
      const u = {
        N: a.N,
        I: a.I,
        O: span.rows,
        ldy: a.ldy,
        dyOff: span.firstRow,
        dxRow0: a.xRow0 ?? 0,
        accumulate: idx > 0 || a.dxAccumulate ? 1 : 0,
      };
      if (fast) batch.dispatch(cx.k.matmulBxFast, { dy: a.dy, w: view, dx: a.dx }, u);
      else batch.dispatch(cx.k.matmulBx, { dy: a.dy, w: view, dx: a.dx }, u);
    }
    const u = { N: a.N, I: a.I, O: span.rows, ldy: a.ldy, dyOff: span.firstRow, xRow0: a.xRow0 ?? 0 };
    if (fast && a.ldy % 4 === 0 && span.firstRow % 4 === 0) {
      batch.dispatch(cx.k.matmulBwRows, { dy: a.dy, x: a.x, dw: viewOf(g, span) }, u);
    } else if (fast) batch.dispatch(cx.k.matmulBwFast, { dy: a.dy, x: a.x, dw: viewOf(g, span) }, u);
    else batch.dispatch(cx.k.matmulBw, { dy: a.dy, x: a.x, dw: viewOf(g, span) }, u);
  });
  if (a.b) {
    batch.dispatch(cx.k.biasB, { dy: a.dy, db: grad(cx, a.b) }, {
      N: a.N,
      O: w.size / a.I,
      ldy: a.ldy,
      dyOff: 0,
      bOff: 0,
    });
  }
};

/** dx = norm'(x)ᵀ·dy (+ dres); gain (and bias) gradients accumulate. */
export const recordNormBackward = (
  cx: BackwardContext,
  batch: Batch,
  N: number,
  dy: GpuTensor<"f32">,
  x: GpuTensor<"f32">,
  mean: GpuTensor<"f32">,
  rstd: GpuTensor<"f32">,
  w: string,
  b: string | undefined,
  dres: GpuTensor<"f32"> | undefined,
  dx: GpuTensor<"f32">,
): void => {
  const C = cx.spec.nEmbd, useRes = dres ? 1 : 0;
  if (b !== undefined) {
    batch.dispatch(cx.k.layerNormBx, { dy, x, w: weight(cx, w), mean, rstd, dres: dres ?? cx.dummy, dx }, {
      N,
      C,
      useRes,
    });
    batch.dispatch(cx.k.layerNormBw, { dy, x, mean, rstd, dw: grad(cx, w), db: grad(cx, b) }, { N, C });
  } else {
    // Gemma's gain 1 + w (g0 = 1): its x gradient reads the gain; w's gradient is the gain's, as the plain one's
    const io = { dy, x, w: weight(cx, w), mean: cx.dummy, rstd, dres: dres ?? cx.dummy, dx };
    batch.dispatch(cx.k.rmsNormBx, io, { N, C, useRes, g0: rmsGainOffset(cx.spec) });
    batch.dispatch(cx.k.rmsNormBw, { dy, x, rstd, dw: grad(cx, w) }, { N, C });
  }
};

/** Block i backward: dOut = ∂loss/∂xout → dIn = ∂loss/∂xin. */
export const recordBlockBackward = (
  cx: BackwardContext,
  batch: Batch,
  tb: TrainBuffers,
  i: number,
  dOut: GpuTensor<"f32">,
  dIn: GpuTensor<"f32">,
): void => {
  const s = cx.spec, { B, T, N } = tb.acts, bb: BlockBuffers = tb.blocks[i]!, d = tb.d, wn = blockWeightNames(s, i);
  const C = s.nEmbd,
    Q = qDim(s),
    F = ffnDim(s),
    KV = kvDim(s),
    W = Q + 2 * KV,
    D = headDim(s),
    H = gatedMlp(s) ? 2 * F : F;
  // MLP: xout = mid + down(act(up(norm2(mid)))); parallel: norm2(xin); parallelShared: xn1 (core/model/forward.ts)
  const parallel = parallelResidual(s), shared = parallel === "parallelShared";
  recordLinearBackward(cx, batch, { dy: dOut, ldy: C, x: bb.g, N, I: F, w: wn.down, b: wn.downb, dx: d.dg });
  const act = mlpActivation(s);
  if (act === "swiglu") batch.dispatch(cx.k.swigluB, { dy: d.dg, h: bb.h, dh: d.dh }, { N, F });
  else if (act === "geglu") batch.dispatch(cx.k.gegluB, { dy: d.dg, h: bb.h, dh: d.dh }, { N, F });
  else batch.dispatch(act === "geluErf" ? cx.k.geluErfB : cx.k.geluB, { dy: d.dg, x: bb.h, dx: d.dh }, { n: N * F });
  const xn2 = shared ? bb.xn1 : bb.xn2;
  recordLinearBackward(cx, batch, { dy: d.dh, ldy: H, x: xn2, N, I: C, w: wn.up, b: wn.upb, dx: d.dxn });
  // dmid: dOut + norm2ᵀ(dxn), the gradient at mid (sequential) or dOut plus the MLP's share at xin (parallel)
  if (!shared) {
    const x2 = parallel ? bb.xin : bb.mid;
    recordNormBackward(cx, batch, N, d.dxn, x2, bb.mean2, bb.rstd2, wn.norm2, wn.norm2b, dOut, d.dmid);
  }
  // Attention: mid = xin + proj(attention(rope(qkv(norm1(xin))))); a parallel residual hands it dOut itself.
  // att and datt (N, Q); the kernels' uniform C is Q, as in the forward (gpu/model/record_forward.ts).
  const dAttOut = parallel ? dOut : d.dmid;
  recordLinearBackward(cx, batch, { dy: dAttOut, ldy: C, x: bb.att, N, I: Q, w: wn.proj, b: wn.projb, dx: d.datt });
  const head = { B, T, NH: s.nHead, NKV: s._tag === "gpt2" ? s.nHead : s.nKvHead, D, W, C: Q, scale: 1 / Math.sqrt(D) };
  batch.dispatch(
    cx.k.attnBq,
    { qkv: bb.qkv, out: bb.att, dout: d.datt, lse: bb.lse, dqkv: d.dqkv, delta: d.delta },
    head,
  );
  batch.dispatch(cx.k.attnBkv, { qkv: bb.qkv, dout: d.datt, lse: bb.lse, delta: d.delta, dqkv: d.dqkv }, head);
  if (s._tag === "llama") {
    batch.dispatch(cx.k.rope, { qkv: d.dqkv, cosT: weight(cx, "rope.cos"), sinT: weight(cx, "rope.sin") }, {
      N,
      T,
      pos0: 0,
      NH: s.nHead,
      NKV: s.nKvHead,
      D,
      W,
      C: Q,
      R: rotaryDims(s),
      half: s.ropeStyle === "half" ? 1 : 0,
      sign: -1,
    });
  }
  recordQkNormBackward(cx, batch, N, bb, d.dqkv, i);
  // parallelShared: the attention's dxn adds to the MLP's, and the one norm's backward takes dOut as its residual
  recordLinearBackward(cx, batch, {
    dy: d.dqkv,
    ldy: W,
    x: bb.xn1,
    N,
    I: C,
    w: wn.qkv,
    b: wn.qkvb,
    dx: d.dxn,
    dxAccumulate: shared,
  });
  recordNormBackward(cx, batch, N, d.dxn, bb.xin, bb.mean1, bb.rstd1, wn.norm1, wn.norm1b, shared ? dOut : d.dmid, dIn);
};

/**
 * Qwen3: the backward of the per-head q and k norms, in place on dqkv (after the rotary's backward): the gains'
 * gradients first (they read dy), then dy becomes dx.
 */
const recordQkNormBackward = (
  cx: BackwardContext,
  batch: Batch,
  N: number,
  bb: BlockBuffers,
  dqkv: GpuTensor<"f32">,
  i: number,
): void => {
  if (cx.spec._tag !== "llama" || cx.spec.qkNorm !== true) return;
  if (bb.qkNorm === undefined) throw new Error("Cannot record the q/k norms' backward: the block kept no buffers");
  const { raw, rstd } = bb.qkNorm;
  for (const which of ["q", "k"] as const) {
    const name = blockName(i, `${which}norm`), u = qkHeads(cx.spec, N, which);
    batch.dispatch(cx.k.headNormBw, { dqkv, raw, rstd, dw: grad(cx, name) }, u);
    batch.dispatch(cx.k.headNormBx, { dqkv, raw, w: weight(cx, name), rstd }, u);
  }
};

/** Token (and position) embedding backward from ∂loss/∂stream[0]; tb.uniq/start/rows hold the grouping. */
export const recordEmbedBackward = (
  cx: BackwardContext,
  batch: Batch,
  tb: TrainBuffers,
  dx: GpuTensor<"f32">,
  U: number,
): void => {
  const C = cx.spec.nEmbd, g = grad(cx, "wte"), k = embedScaleOf(cx.spec);
  if (k !== 1) batch.dispatch(cx.k.embedScale, { x: dx }, { n: tb.acts.N * C, k }); // Gemma's √C: dx is scratch
  for (const { span } of bindingViews(cx.device, g, C, cx.maxBinding)) {
    batch.dispatch(cx.k.embedB, { dx, uniq: tb.uniq, start: tb.start, rows: tb.rows, dwte: viewOf(g, span) }, {
      U,
      C,
      v0: span.firstRow,
      vCount: span.rows,
    });
  }
  if (cx.spec._tag === "gpt2") {
    batch.dispatch(cx.k.posB, { dx, dwpe: grad(cx, "wpe") }, { B: tb.acts.B, T: tb.acts.T, C });
  }
};
