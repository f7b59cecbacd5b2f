/**
 * A GPU training step as named parts over one context record, as llm.c's train_gpt2.c has
 * gpt2_forward, gpt2_backward and gpt2_update: record the forward (keeping every block's
 * activations), the loss (fused with its gradient), the backward, and the update (global-norm
 * clip, then AdamW); `trainStep` strings them into one batch per micro-batch, the last one also
 * holding the update, and `evalLoss` is the forward and plain cross-entropy alone.
 * gpu/train/trainer.ts allocates the context and assembles the Trainer from these.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Hyper, MicroBatch, StepResult } from "../../core/train/trainer.ts";
import { type Batch, createBatch } from "../engine/batch.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { elementViews, type GpuTensor, upload, viewOf } from "../engine/tensor.ts";
import { SUMSQ_CHUNK } from "../kernels/adamw.ts";
import { headWeightNames, recordBlock, recordEmbed, recordLinear, recordNorm } from "../model/record_forward.ts";
import { recordTransposes } from "../model/transposed.ts";
import { createTrainBuffers, groupRowsByToken, type TrainBuffers } from "./buffers.ts";
import type { DeviceTeacher, TrainContext } from "./context.ts";
import {
  recordBlockBackward,
  recordEmbedBackward,
  recordLinearBackward,
  recordNormBackward,
} from "./record_backward.ts";

/** The buffers of a (B, T) shape, made once. */
export const trainBuffers = (cx: TrainContext, B: number, T: number): E.Either<GpuError, TrainBuffers> => {
  const have = cx.shapes.get(`${B}x${T}`);
  if (have) return E.right(have);
  return E.map((tb: TrainBuffers) => (cx.shapes.set(`${B}x${T}`, tb), tb))(
    createTrainBuffers(cx.device, cx.spec, B, T, cx.maxBinding),
  );
};

/** Tokens, targets, and the rows grouped by token for the embedding backward; gives U, the distinct tokens. */
const uploadBatch = (cx: TrainContext, tb: TrainBuffers, mb: MicroBatch): number => {
  upload(cx.device, tb.acts.tokens, mb.tokens);
  upload(cx.device, tb.acts.targets, mb.targets);
  const g = groupRowsByToken(mb.tokens);
  upload(cx.device, tb.uniq, g.uniq);
  upload(cx.device, tb.start, g.start);
  upload(cx.device, tb.rows, g.rows);
  return g.uniq.length;
};

/** Forward of one micro-batch into tb, keeping activations; leaves logits (B·T, V) in tb.acts.logits. */
export const recordForward = (cx: TrainContext, batch: Batch, tb: TrainBuffers): void => {
  if (cx.live.staleWt) recordTransposes(cx.device, cx.k, cx.spec, cx.w, cx.wt, cx.maxBinding, batch);
  cx.live.staleWt = false;
  const hn = headWeightNames(cx.spec), { N } = tb.acts, L = cx.spec.nLayer, C = cx.spec.nEmbd, V = cx.spec.vocabSize;
  const f = tb.acts.f32;
  recordEmbed(cx, batch, tb.acts, 0, tb.stream[0]);
  tb.blocks.forEach((bb, i) => recordBlock(cx, batch, tb.acts, bb, i));
  recordNorm(cx, batch, N, tb.stream[L]!, hn.norm, hn.normb, f.xn, f.mean, f.rstd);
  for (const c of tb.acts.logits) {
    const b = hn.headb === undefined ? {} : { b: hn.headb };
    recordLinear(cx, batch, { x: f.xn, xRow0: c.firstRow, N: c.rows, I: C, w: hn.head, ...b, y: c.tensor, ldy: V });
  }
};

/** The loss per row and, scaled, its gradient in place of each logits chunk: cross-entropy, or distillation. */
export const recordLoss = (
  cx: TrainContext,
  batch: Batch,
  tb: TrainBuffers,
  mb: MicroBatch,
  scale: number,
): E.Either<GpuError, void> => {
  const { acts } = tb, V = cx.spec.vocabSize;
  if (cx.teacher !== undefined) return recordDistillLoss(cx, cx.teacher, batch, tb, mb, scale);
  for (const c of acts.logits) {
    batch.dispatch(cx.k.ceB, { logits: c.tensor, targets: acts.targets, losses: acts.f32.losses }, {
      N: c.rows,
      V,
      row0: c.firstRow,
      scale,
    });
  }
  return E.right(undefined);
};

/** Cross-entropy mixed with the softened logits of the teacher's forward on the same tokens (core/ops/distill.ts). */
const recordDistillLoss = (
  cx: TrainContext,
  teacher: DeviceTeacher,
  batch: Batch,
  tb: TrainBuffers,
  mb: MicroBatch,
  scale: number,
): E.Either<GpuError, void> => {
  const { acts } = tb, V = cx.spec.vocabSize, { weight, temperature: tau } = teacher.kd;
  return E.chain((soft: ReadonlyArray<{ readonly rows: number; readonly tensor: GpuTensor<"f32"> }>) => {
    // Same N and V, and the same binding limit: the teacher's logits come in the same row chunks.
    if (soft.length !== acts.logits.length || soft.some((c, i) => c.rows !== acts.logits[i]!.rows)) {
      return E.left(
        gpuError(
          "Validation",
          "Cannot distil: the teacher's logits are chunked unlike the trainee's",
          "give both models the same vocabulary",
        ),
      );
    }
    acts.logits.forEach((c, i) =>
      batch.dispatch(cx.k.distill, {
        logits: c.tensor,
        teacher: soft[i]!.tensor,
        targets: acts.targets,
        losses: acts.f32.losses,
      }, { N: c.rows, V, row0: c.firstRow, scale, weight, tau })
    );
    return E.right(undefined);
  })(teacher.model.recordLogits(batch, mb.tokens, acts.B, acts.T));
};

/** From the logits' gradient back to the embedding: head, final norm, blocks L−1 … 0, wte (and wpe). */
export const recordBackward = (cx: TrainContext, batch: Batch, tb: TrainBuffers, U: number): void => {
  const hn = headWeightNames(cx.spec), { N } = tb.acts, L = cx.spec.nLayer, C = cx.spec.nEmbd, V = cx.spec.vocabSize;
  const f = tb.acts.f32;
  for (const c of tb.acts.logits) {
    const rows = { xRow0: c.firstRow, N: c.rows };
    recordLinearBackward(cx, batch, { dy: c.tensor, ldy: V, x: f.xn, ...rows, I: C, w: hn.head, dx: tb.d.dxn });
    // the head bias's gradient added in place chunk after chunk: the same bits whatever the logits' chunking
    if (hn.headb !== undefined) {
      const u = { N: c.rows, O: V, ldy: V, dyOff: 0, bOff: 0 };
      batch.dispatch(cx.k.biasBRunning, { dy: c.tensor, db: cx.grads[hn.headb]! }, u);
    }
  }
  recordNormBackward(cx, batch, N, tb.d.dxn, tb.stream[L]!, f.mean, f.rstd, hn.norm, hn.normb, undefined, tb.d.dA);
  let [dOut, dIn] = [tb.d.dA, tb.d.dB];
  for (let i = L - 1; i >= 0; i--) {
    recordBlockBackward(cx, batch, tb, i, dOut, dIn);
    [dOut, dIn] = [dIn, dOut];
  }
  recordEmbedBackward(cx, batch, tb, dOut, U);
};

/**
 * A trainable tensor's element runs for the optimizer's element-wise kernels: the whole tensor when
 * it fits a binding (one dispatch, as ever), else views starting at multiples of SUMSQ_CHUNK, so the
 * clip's partial sums are the same chunks in the same slots. Weight, gradient and moments share them.
 */
const flatViews = (cx: TrainContext, n: string) => elementViews(cx.device, cx.grads[n]!, SUMSQ_CHUNK, cx.maxBinding);

/** Zeroes every gradient, view by view. */
const recordZeroGrads = (cx: TrainContext, batch: Batch): void => {
  for (const n of cx.names) {
    const g = cx.grads[n]!;
    for (const { span } of flatViews(cx, n)) batch.dispatch(cx.k.zero, { out: viewOf(g, span) }, { n: span.count });
  }
};

/** Global-norm clipping: g² summed in chunks, then ‖g‖ and the scale min(1, clip / ‖g‖) into opt.stats. */
const recordClip = (cx: TrainContext, batch: Batch, hp: Hyper): void => {
  let p0 = 0;
  for (const n of cx.names) {
    const g = cx.grads[n]!;
    for (const { span } of flatViews(cx, n)) {
      batch.dispatch(cx.k.sumsq, { g: viewOf(g, span), partials: cx.opt.partials }, {
        n: span.count,
        p0: p0 + span.first / SUMSQ_CHUNK,
      });
    }
    p0 += Math.ceil(g.size / SUMSQ_CHUNK);
  }
  batch.dispatch(cx.k.clip, { partials: cx.opt.partials, stats: cx.opt.stats }, { count: p0, clip: hp.gradClip });
};

/** The update (llm.c gpt2_update): clip, then AdamW on every tensor with the clip's scale; t += 1. */
export const recordUpdate = (cx: TrainContext, batch: Batch, hp: Hyper): void => {
  recordClip(cx, batch, hp);
  const { opt, live } = cx;
  live.t += 1;
  const bc1 = 1 - hp.beta1 ** live.t, bc2 = 1 - hp.beta2 ** live.t;
  for (const n of cx.names) {
    const wd = opt.decay(n) ? hp.weightDecay : 0;
    for (const { span } of flatViews(cx, n)) {
      const [param, grad, m, v] = [cx.w[n]!, cx.grads[n]!, opt.m[n]!, opt.v[n]!].map((t) => viewOf(t, span));
      batch.dispatch(cx.k.adamw, { param: param!, grad: grad!, m: m!, v: v!, stats: opt.stats }, {
        n: span.count,
        lr: hp.lr,
        beta1: hp.beta1,
        beta2: hp.beta2,
        eps: hp.eps,
        wd,
        bc1,
        bc2,
      });
    }
  }
  live.staleWt = true;
};

/** Micro-batch k of K in a batch of its own: zeroed gradients first (k = 0), the update last (k = K − 1). */
const recordMicroStep = (
  cx: TrainContext,
  tb: TrainBuffers,
  mb: MicroBatch,
  k: number,
  K: number,
  hp: Hyper,
  scale: number,
): E.Either<GpuError, Batch> => {
  const batch = createBatch(cx.device, `train step micro ${k}`, { timestamps: cx.timestamps });
  if (k === 0) recordZeroGrads(cx, batch);
  const U = uploadBatch(cx, tb, mb);
  recordForward(cx, batch, tb);
  const loss = recordLoss(cx, batch, tb, mb, scale);
  if (E.isLeft(loss)) return loss;
  recordBackward(cx, batch, tb, U);
  if (k === K - 1) recordUpdate(cx, batch, hp);
  return E.right(batch);
};

/** One optimizer step over K micro-batches of (B, T): a submit and a small readback per micro-batch. */
export const trainStep = async (
  cx: TrainContext,
  mbs: ReadonlyArray<MicroBatch>,
  B: number,
  T: number,
  hp: Hyper,
): Promise<E.Either<GpuError, StepResult>> => {
  const tb = trainBuffers(cx, B, T), K = mbs.length;
  if (E.isLeft(tb)) return tb;
  let lossSum = 0;
  cx.live.kernelTimes = [];
  for (const [k, mb] of mbs.entries()) {
    const batch = recordMicroStep(cx, tb.right, mb, k, K, hp, 1 / (B * T * K));
    if (E.isLeft(batch)) return batch;
    const b = batch.right, hl = b.read(tb.right.acts.f32.losses), hs = k === K - 1 ? b.read(cx.opt.stats) : undefined;
    const r = await b.submit()();
    if (E.isLeft(r)) return r;
    cx.live.kernelTimes = [...cx.live.kernelTimes, ...r.right.timings];
    lossSum += r.right.get(hl).reduce((a, b) => a + b, 0);
    if (hs) return E.right({ loss: lossSum / (B * T * K), gradNorm: r.right.get(hs)[1]! });
  }
  return E.left(
    gpuError("Validation", "Cannot take a training step: no micro-batches", "pass at least one micro-batch"),
  );
};

/** Mean cross-entropy of one batch, no update: the row losses summed in index order on the host, over B·T. */
export const evalLoss = async (
  cx: TrainContext,
  mb: MicroBatch,
  B: number,
  T: number,
): Promise<E.Either<GpuError, number>> => {
  const tb = trainBuffers(cx, B, T);
  if (E.isLeft(tb)) return tb;
  uploadBatch(cx, tb.right, mb);
  const batch = createBatch(cx.device, "eval"), { acts } = tb.right;
  recordForward(cx, batch, tb.right);
  for (const c of acts.logits) {
    batch.dispatch(cx.k.crossEntropy, { logits: c.tensor, targets: acts.targets, losses: acts.f32.losses }, {
      N: c.rows,
      V: cx.spec.vocabSize,
      row0: c.firstRow,
    });
  }
  const h = batch.read(acts.f32.losses);
  return pipe(await batch.submit()(), E.map((r) => r.get(h).reduce((a, b) => a + b, 0) / (B * T)));
};
