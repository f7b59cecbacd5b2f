/**
 * Training on the GPU: the Trainer of core/train/trainer.ts. Weights, gradients and AdamW moments live
 * on the device in the forward kernels' layout (gpu/model/weights.ts); a micro-batch is one batch
 * (forward keeping every block's activations, loss fused with its gradient, backward), and the
 * last micro-batch's batch also holds the global-norm clip and AdamW, so a step with K = 1 is one
 * submit and one small readback (the row losses and the gradient norm).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Distill } from "../../core/ops/distill.ts";
import { headDim, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Hyper, MicroBatch, OptimizerState, StepResult, Teacher, Trainer } from "../../core/train/trainer.ts";
import { createBatch, type Batch, type KernelTime } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { gpuError, type GpuError } from "../engine/errors.ts";
import { SUMSQ_CHUNK } from "../kernels/adamw.ts";
import { createGpuModel, type GpuModel } from "../model/model.ts";
import { deviceArrays, deviceDecays, hostArrays } from "../model/weights.ts";
import { type BackwardContext, recordBlockBackward, recordEmbedBackward, recordLinearBackward, recordNormBackward } from "./record_backward.ts";
import { headWeightNames, recordBlock, recordEmbed, recordLinear, recordNorm } from "../model/record_forward.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import { createTrainBuffers, destroyTrainBuffers, groupRowsByToken, type TrainBuffers } from "./buffers.ts";
import { compileTrainKernels } from "./train_kernels.ts";
import type { KernelProfile } from "../engine/profile.ts";
import { createTransposed, destroyTransposed, recordTransposes } from "../model/transposed.ts";

type Tensors = Record<string, GpuTensor<"f32">>;

const uploadAll = (device: GPUDevice, label: string, arrays: ReadonlyArray<readonly [string, Float32Array]>): E.Either<GpuError, Tensors> => {
  const out: Tensors = {};
  for (const [name, data] of arrays) {
    const t = createTensor(device, `${label} ${name}`, [data.length], "f32");
    if (E.isLeft(t)) return (Object.values(out).forEach(destroyTensor), t);
    upload(device, t.right, data);
    out[name] = t.right;
  }
  return E.right(out);
};

/** The Trainer, plus the last step's gradients (by core name) for tests against the CPU reference. */
export interface GpuTrainer extends Trainer {
  gradients(): TE.TaskEither<GpuError, Weights>;
  /** Each dispatch's GPU time in the last step, when created with `timestamps`; else empty. */
  lastKernelTimes(): ReadonlyArray<KernelTime>;
}

export interface GpuTrainerOptions {
  /** The adapter's kernel family (gpu/engine/profile.ts profileFor); "cpu" when left out. */
  readonly profile?: KernelProfile;
  /** Time every dispatch of a step (needs "timestamp-query"; a pass per dispatch, so a little slower). */
  readonly timestamps?: boolean;
  /** Distil from this frozen reference: its forward runs in the step's batch, the loss is distill_backward's. */
  readonly teacher?: Teacher;
}

/** The teacher on the device (forward kernels only) and how its logits mix into the loss. */
interface DeviceTeacher {
  readonly model: GpuModel;
  readonly kd: Distill;
}

/** The teacher on the device, or none. */
const teacherModel = (cache: KernelCache, opts: GpuTrainerOptions): TE.TaskEither<GpuError, DeviceTeacher | undefined> => {
  const t = opts.teacher;
  return t === undefined ? TE.right(undefined) : TE.map((model: GpuModel) => ({ model, kd: t.kd }))(createGpuModel(cache, t.spec, t.weights, { profile: opts.profile ?? "cpu" }));
};

/** A GPU trainer from weights (fresh moments, t = 0) or from a checkpoint's full optimizer state. */
export const createGpuTrainer = (cache: KernelCache, spec: ModelSpec, init: OptimizerState | { readonly weights: Weights }, opts: GpuTrainerOptions = {}): TE.TaskEither<GpuError, GpuTrainer> =>
  pipe(TE.Do, TE.apS("k", compileTrainKernels(cache, opts.profile, headDim(spec))), TE.apS("teacher", teacherModel(cache, opts)), TE.chainEitherK(({ k, teacher }) => {
    const device = cache.device;
    const dev = deviceArrays(spec, init.weights);
    const trainable = dev.filter(([n]) => !n.startsWith("rope."));
    const moments = (w: Weights | undefined) => (w === undefined ? trainable.map(([n, a]) => [n, new Float32Array(a.length)] as const) : deviceArrays(spec, w).filter(([n]) => !n.startsWith("rope.")));
    const parts = [uploadAll(device, "weight", dev), uploadAll(device, "grad", trainable.map(([n, a]) => [n, new Float32Array(a.length)] as const)),
      uploadAll(device, "adam m", moments("m" in init ? init.m : undefined)), uploadAll(device, "adam v", moments("v" in init ? init.v : undefined))];
    const bad = parts.find(E.isLeft);
    // On a failure below, everything made so far goes back to the device.
    const freeParts = () => (parts.forEach((p) => E.isRight(p) && Object.values(p.right).forEach(destroyTensor)), teacher?.model.destroy());
    if (bad !== undefined) return (freeParts(), bad as E.Left<GpuError>);
    const [w, grads, m, v] = parts.map((p) => (p as E.Right<Tensors>).right) as [Tensors, Tensors, Tensors, Tensors];
    const partialCount = trainable.reduce((n, [, a]) => n + Math.ceil(a.length / SUMSQ_CHUNK), 0);
    const small = [createTensor(device, "unused input", [4], "f32"), createTensor(device, "grad partials", [partialCount], "f32"), createTensor(device, "clip stats", [2], "f32")];
    if (small.some(E.isLeft)) {
      return (freeParts(), small.forEach((t) => E.isRight(t) && destroyTensor(t.right)), E.left(gpuError("TooLarge", "Cannot allocate the optimizer's scratch", "use a smaller model")));
    }
    const [dummy, partials, stats] = small.map((t) => (t as E.Right<GpuTensor<"f32">>).right) as [GpuTensor<"f32">, GpuTensor<"f32">, GpuTensor<"f32">];
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    const wt = createTransposed(device, spec, w, maxBinding);
    if (E.isLeft(wt)) return (freeParts(), [dummy, partials, stats].forEach(destroyTensor), wt);
    const cx: BackwardContext = { device, spec, k, w, wt: wt.right, dummy, maxBinding, grads };
    return E.right(gpuTrainer(cx, { m, v, partials, stats, t: "t" in init ? init.t : 0, decay: (n) => deviceDecays(spec, n) }, opts.timestamps === true, teacher));
  }));

interface OptimizerBuffers {
  readonly m: Tensors;
  readonly v: Tensors;
  readonly partials: GpuTensor<"f32">;
  readonly stats: GpuTensor<"f32">;
  t: number;
  readonly decay: (name: string) => boolean;
}

const gpuTrainer = (cx: BackwardContext, opt: OptimizerBuffers, timestamps: boolean, teacher: DeviceTeacher | undefined): GpuTrainer => {
  let kernelTimes: ReadonlyArray<KernelTime> = [];
  const shapes = new Map<string, TrainBuffers>();
  const buffers = (B: number, T: number): E.Either<GpuError, TrainBuffers> => {
    const have = shapes.get(`${B}x${T}`);
    if (have) return E.right(have);
    return E.map((tb: TrainBuffers) => (shapes.set(`${B}x${T}`, tb), tb))(createTrainBuffers(cx.device, cx.spec, B, T, cx.maxBinding));
  };
  const names = Object.keys(cx.grads);
  let staleWt = true; // Wᵀ lags W: at the start, and after every AdamW update

  /** Forward of one micro-batch into tb, keeping activations; leaves logits in tb.acts.logits. */
  const recordForward = (batch: Batch, tb: TrainBuffers): void => {
    if (staleWt) recordTransposes(cx.device, cx.k, cx.spec, cx.w, cx.wt, cx.maxBinding, batch);
    staleWt = false;
    const hn = headWeightNames(cx.spec), { N } = tb.acts, L = cx.spec.nLayer, C = cx.spec.nEmbd;
    recordEmbed(cx, batch, tb.acts, 0, tb.stream[0]);
    tb.blocks.forEach((bb, i) => recordBlock(cx, batch, tb.acts, bb, i));
    recordNorm(cx, batch, N, tb.stream[L]!, hn.norm, hn.normb, tb.acts.f32.xn, tb.acts.f32.mean, tb.acts.f32.rstd);
    for (const c of tb.acts.logits) recordLinear(cx, batch, { x: tb.acts.f32.xn, xRow0: c.firstRow, N: c.rows, I: C, w: hn.head, y: c.tensor, ldy: cx.spec.vocabSize });
  };

  /** The loss and its gradient, in place of each logits chunk: cross-entropy, or mixed with the teacher's logits of the same rows. */
  const recordLoss = (batch: Batch, tb: TrainBuffers, mb: MicroBatch, scale: number): E.Either<GpuError, void> => {
    const { acts } = tb, V = cx.spec.vocabSize;
    if (teacher === undefined) {
      for (const c of acts.logits) batch.dispatch(cx.k.ceB, { logits: c.tensor, targets: acts.targets, losses: acts.f32.losses }, { N: c.rows, V, row0: c.firstRow, scale });
      return E.right(undefined);
    }
    return E.chain((soft: ReadonlyArray<{ readonly rows: number; readonly tensor: GpuTensor<"f32"> }>) => {
      // Same N and V, and the same binding limit: the teacher's logits come in the same row chunks.
      if (soft.length !== acts.logits.length || soft.some((c, i) => c.rows !== acts.logits[i]!.rows)) {
        return E.left(gpuError("Validation", "Cannot distil: the teacher's logits are chunked unlike the trainee's", "give both models the same vocabulary"));
      }
      acts.logits.forEach((c, i) => batch.dispatch(cx.k.distill, { logits: c.tensor, teacher: soft[i]!.tensor, targets: acts.targets, losses: acts.f32.losses },
        { N: c.rows, V, row0: c.firstRow, scale, weight: teacher.kd.weight, tau: teacher.kd.temperature }));
      return E.right(undefined);
    })(teacher.model.recordLogits(batch, mb.tokens, acts.B, acts.T));
  };

  const recordBackward = (batch: Batch, tb: TrainBuffers, U: number): void => {
    const hn = headWeightNames(cx.spec), { N } = tb.acts, L = cx.spec.nLayer, C = cx.spec.nEmbd, V = cx.spec.vocabSize;
    for (const c of tb.acts.logits) {
      recordLinearBackward(cx, batch, { dy: c.tensor, ldy: V, x: tb.acts.f32.xn, xRow0: c.firstRow, N: c.rows, I: C, w: hn.head, dx: tb.d.dxn });
    }
    recordNormBackward(cx, batch, N, tb.d.dxn, tb.stream[L]!, tb.acts.f32.mean, tb.acts.f32.rstd, hn.norm, hn.normb, undefined, tb.d.dA);
    let [dOut, dIn] = [tb.d.dA, tb.d.dB];
    for (let i = L - 1; i >= 0; i--) {
      recordBlockBackward(cx, batch, tb, i, dOut, dIn);
      [dOut, dIn] = [dIn, dOut];
    }
    recordEmbedBackward(cx, batch, tb, dOut, U);
  };

  const recordOptimizer = (batch: Batch, hp: Hyper): void => {
    let p0 = 0;
    for (const n of names) {
      const g = cx.grads[n]!;
      batch.dispatch(cx.k.sumsq, { g, partials: opt.partials }, { n: g.size, p0 });
      p0 += Math.ceil(g.size / SUMSQ_CHUNK);
    }
    batch.dispatch(cx.k.clip, { partials: opt.partials, stats: opt.stats }, { count: p0, clip: hp.gradClip });
    opt.t += 1;
    const bc1 = 1 - hp.beta1 ** opt.t, bc2 = 1 - hp.beta2 ** opt.t;
    for (const n of names) {
      batch.dispatch(cx.k.adamw, { param: cx.w[n]!, grad: cx.grads[n]!, m: opt.m[n]!, v: opt.v[n]!, stats: opt.stats },
        { n: cx.grads[n]!.size, lr: hp.lr, beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps, wd: opt.decay(n) ? hp.weightDecay : 0, bc1, bc2 });
    }
    staleWt = true;
  };

  const uploadBatch = (tb: TrainBuffers, mb: MicroBatch): number => {
    upload(cx.device, tb.acts.tokens, mb.tokens);
    upload(cx.device, tb.acts.targets, mb.targets);
    const g = groupRowsByToken(mb.tokens);
    upload(cx.device, tb.uniq, g.uniq);
    upload(cx.device, tb.start, g.start);
    upload(cx.device, tb.rows, g.rows);
    return g.uniq.length;
  };

  const step = async (mbs: ReadonlyArray<MicroBatch>, B: number, T: number, hp: Hyper): Promise<E.Either<GpuError, StepResult>> => {
    const tb = buffers(B, T);
    if (E.isLeft(tb)) return tb;
    let lossSum = 0;
    kernelTimes = [];
    for (const [k, mb] of mbs.entries()) {
      const batch = createBatch(cx.device, `train step micro ${k}`, { timestamps });
      if (k === 0) for (const n of names) batch.dispatch(cx.k.zero, { out: cx.grads[n]! }, { n: cx.grads[n]!.size });
      const U = uploadBatch(tb.right, mb);
      recordForward(batch, tb.right);
      const loss = recordLoss(batch, tb.right, mb, 1 / (B * T * mbs.length));
      if (E.isLeft(loss)) return loss;
      recordBackward(batch, tb.right, U);
      const last = k === mbs.length - 1;
      if (last) recordOptimizer(batch, hp);
      const hl = batch.read(tb.right.acts.f32.losses), hs = last ? batch.read(opt.stats) : undefined;
      const r = await batch.submit()();
      if (E.isLeft(r)) return r;
      kernelTimes = [...kernelTimes, ...r.right.timings];
      lossSum += r.right.get(hl).reduce((a, b) => a + b, 0);
      if (hs) return E.right({ loss: lossSum / (B * T * mbs.length), gradNorm: r.right.get(hs)[1]! });
    }
    return E.left(gpuError("Validation", "Cannot take a training step: no micro-batches", "pass at least one micro-batch"));
  };

  return {
    spec: cx.spec,
    step: (mbs, B, T, hp) => () => step(mbs, B, T, hp),
    evalLoss: (mb, B, T) => async () => {
      const tb = buffers(B, T);
      if (E.isLeft(tb)) return tb;
      uploadBatch(tb.right, mb);
      const batch = createBatch(cx.device, "eval");
      recordForward(batch, tb.right);
      for (const c of tb.right.acts.logits) {
        batch.dispatch(cx.k.crossEntropy, { logits: c.tensor, targets: tb.right.acts.targets, losses: tb.right.acts.f32.losses }, { N: c.rows, V: cx.spec.vocabSize, row0: c.firstRow });
      }
      const h = batch.read(tb.right.acts.f32.losses);
      return pipe(await batch.submit()(), E.map((r) => r.get(h).reduce((a, b) => a + b, 0) / (B * T)));
    },
    lastKernelTimes: () => kernelTimes,
    gradients: () => async () => {
      const batch = createBatch(cx.device, "gradients");
      const hg = names.map((n) => batch.read(cx.grads[n]!));
      return pipe(await batch.submit()(), E.map((r) => hostArrays(cx.spec, Object.fromEntries(names.map((n, i) => [n, r.get(hg[i]!)])))));
    },
    state: () => async () => {
      const batch = createBatch(cx.device, "optimizer state");
      const hw = names.map((n) => batch.read(cx.w[n]!)), hm = names.map((n) => batch.read(opt.m[n]!)), hv = names.map((n) => batch.read(opt.v[n]!));
      return pipe(await batch.submit()(), E.map((r) => {
        const host = (hs: typeof hw) => hostArrays(cx.spec, Object.fromEntries(names.map((n, i) => [n, r.get(hs[i]!)])));
        return { weights: host(hw), m: host(hm), v: host(hv), t: opt.t };
      }));
    },
    destroy: () => {
      shapes.forEach(destroyTrainBuffers);
      [cx.w, cx.grads, opt.m, opt.v].forEach((ts) => Object.values(ts).forEach(destroyTensor));
      destroyTransposed(cx.wt);
      [cx.dummy, opt.partials, opt.stats].forEach(destroyTensor);
      teacher?.model.destroy();
    },
  };
};
