/**
 * Training on the GPU: the Trainer of core/train/trainer.ts, assembled from the named steps of
 * gpu/train/steps.ts over one context record. Weights, gradients and AdamW moments live on the
 * device in the forward kernels' layout (gpu/model/weights.ts); a micro-batch is one batch
 * (forward keeping every block's activations, loss fused with its gradient, backward), and the
 * last micro-batch's batch also holds the global-norm clip and AdamW, so a step with K = 1 is one
 * submit and one small readback (the row losses and the gradient norm).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { headDim, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { OptimizerState, Teacher, Trainer } from "../../core/train/trainer.ts";
import { createBatch, type KernelTime, type Readbacks, type ReadHandle } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { bindingLimit, createTensor, destroyTensor, type GpuTensor, upload, viewsError } from "../engine/tensor.ts";
import { SUMSQ_CHUNK } from "../kernels/adamw.ts";
import { createGpuModel, type GpuModel } from "../model/model.ts";
import { createTransposed, destroyTransposed } from "../model/transposed.ts";
import { deviceArrays, deviceDecays, hostArrays } from "../model/weights.ts";
import { destroyTrainBuffers } from "./buffers.ts";
import type { DeviceTeacher, Tensors, TrainContext } from "./context.ts";
import { evalLoss, trainStep } from "./steps.ts";
import { compileTrainKernels, type TrainKernels } from "./train_kernels.ts";

/** The Trainer, plus the last step's gradients (by core name) for tests against the CPU reference. */
export interface GpuTrainer extends Trainer {
  gradients(): TE.TaskEither<GpuError, Weights>;
  /** Each dispatch's GPU time in the last step, when created with `timestamps`; else empty. */
  lastKernelTimes(): ReadonlyArray<KernelTime>;
}

export interface GpuTrainerOptions {
  /** The adapter's kernel family (gpu/kernels/profile.ts profileFor); "cpu" when left out. */
  readonly profile?: KernelProfile;
  /** Time every dispatch of a step (needs "timestamp-query"; a pass per dispatch, so a little slower). */
  readonly timestamps?: boolean;
  /** Distil from this frozen reference: its forward runs in the step's batch, the loss is distill_backward's. */
  readonly teacher?: Teacher;
  /**
   * The largest binding, in bytes, for the model-sized tensors (weights, Wᵀ, gradients, moments, logits,
   * and the teacher's), bound as views within it; clamped to the device's limit, which is the default.
   */
  readonly maxBindingBytes?: number;
}

type Init = OptimizerState | { readonly weights: Weights };

/** A GPU trainer from weights (fresh moments, t = 0) or from a checkpoint's full optimizer state. */
export const createGpuTrainer = (
  cache: KernelCache,
  spec: ModelSpec,
  init: Init,
  opts: GpuTrainerOptions = {},
): TE.TaskEither<GpuError, GpuTrainer> =>
  pipe(
    TE.Do,
    TE.apS("k", compileTrainKernels(cache, opts.profile, headDim(spec))),
    TE.apS("teacher", teacherModel(cache, opts)),
    TE.chainEitherK(({ k, teacher }) => E.map(gpuTrainer)(trainContext(cache.device, spec, init, k, teacher, opts))),
  );

/** The teacher on the device, or none. */
const teacherModel = (
  cache: KernelCache,
  opts: GpuTrainerOptions,
): TE.TaskEither<GpuError, DeviceTeacher | undefined> => {
  const t = opts.teacher;
  if (t === undefined) return TE.right(undefined);
  const model = createGpuModel(cache, t.spec, t.weights, {
    profile: opts.profile ?? "cpu",
    ...(opts.maxBindingBytes === undefined ? {} : { maxBindingBytes: opts.maxBindingBytes }),
  });
  return TE.map((m: GpuModel) => ({ model: m, kd: t.kd }))(model);
};

type Named = ReadonlyArray<readonly [string, Float32Array]>;

const uploadAll = (device: GPUDevice, label: string, arrays: Named): E.Either<GpuError, Tensors> => {
  const out: Tensors = {};
  for (const [name, data] of arrays) {
    const t = createTensor(device, `${label} ${name}`, [data.length], "f32");
    if (E.isLeft(t)) return (Object.values(out).forEach(destroyTensor), t);
    upload(device, t.right, data);
    out[name] = t.right;
  }
  return E.right(out);
};

const freeAll = (ts: ReadonlyArray<Tensors>): void => ts.forEach((x) => Object.values(x).forEach(destroyTensor));

/** Weights, zeroed gradients and the moments (the checkpoint's, else zeros) on the device, by device name. */
const uploadState = (device: GPUDevice, spec: ModelSpec, init: Init): E.Either<GpuError, readonly Tensors[]> => {
  // The rope tables ride with the weights but are fixed: no gradient, no moments.
  const trainableOf = (w: Weights) => deviceArrays(spec, w).filter(([n]) => !n.startsWith("rope."));
  const dev = deviceArrays(spec, init.weights), trainable = trainableOf(init.weights);
  const zeros = () => trainable.map(([n, a]) => [n, new Float32Array(a.length)] as const);
  const moments = (w: Weights | undefined): Named => (w === undefined ? zeros() : trainableOf(w));
  const [m, v] = "m" in init ? [init.m, init.v] : [undefined, undefined];
  const parts = [
    uploadAll(device, "weight", dev),
    uploadAll(device, "grad", zeros()),
    uploadAll(device, "adam m", moments(m)),
    uploadAll(device, "adam v", moments(v)),
  ];
  const bad = parts.find(E.isLeft);
  if (bad !== undefined) return (freeAll(parts.filter(E.isRight).map((p) => p.right)), bad);
  return E.right(parts.map((p) => (p as E.Right<Tensors>).right));
};

/**
 * A TooLarge error when a gradient (and so its weight and moments, of its size) cannot be bound as
 * runs of whole SUMSQ_CHUNKs within `maxBinding`: the optimizer's element-wise kernels go view by view.
 */
const flatViewsError = (device: GPUDevice, grads: Tensors, maxBinding: number): GpuError | undefined =>
  Object.entries(grads).map(([n, g]) => viewsError(device, `gradient ${n}`, g.size, SUMSQ_CHUNK, maxBinding, true))
    .find((e) => e !== undefined);

/** The small tensors: a stand-in for unused inputs, the clip's partial sums of g² and its two stats. */
const allocateScratch = (device: GPUDevice, grads: Tensors): E.Either<GpuError, readonly GpuTensor<"f32">[]> => {
  const partialCount = Object.values(grads).reduce((n, g) => n + Math.ceil(g.size / SUMSQ_CHUNK), 0);
  // clip_scale sums every partial in order in one invocation, so they are bound whole: one per 256 values
  if (4 * partialCount > device.limits.maxStorageBufferBindingSize) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot bind the clip's ${partialCount} partial sums: they exceed one binding of ${device.limits.maxStorageBufferBindingSize} bytes`,
        "use a smaller model, or a device with a larger maxStorageBufferBindingSize",
      ),
    );
  }
  const small = [
    createTensor(device, "unused input", [4], "f32"),
    createTensor(device, "grad partials", [partialCount], "f32"),
    createTensor(device, "clip stats", [2], "f32"),
  ];
  if (small.every(E.isRight)) return E.right(small.map((t) => t.right));
  small.forEach((t) => E.isRight(t) && destroyTensor(t.right));
  return E.left(gpuError("TooLarge", "Cannot allocate the optimizer's scratch", "use a smaller model"));
};

/** Everything on the device; on a failure, whatever was made so far goes back. */
const trainContext = (
  device: GPUDevice,
  spec: ModelSpec,
  init: Init,
  k: TrainKernels,
  teacher: DeviceTeacher | undefined,
  opts: GpuTrainerOptions,
): E.Either<GpuError, TrainContext> => {
  const st = uploadState(device, spec, init);
  if (E.isLeft(st)) return (teacher?.model.destroy(), st);
  const [w, grads, m, v] = st.right as [Tensors, Tensors, Tensors, Tensors];
  const free = () => (freeAll(st.right), teacher?.model.destroy());
  const maxBinding = bindingLimit(device, opts.maxBindingBytes), flat = flatViewsError(device, grads, maxBinding);
  if (flat !== undefined) return (free(), E.left(flat));
  const scratch = allocateScratch(device, grads);
  if (E.isLeft(scratch)) return (free(), scratch);
  const [dummy, partials, stats] = scratch.right as [GpuTensor<"f32">, GpuTensor<"f32">, GpuTensor<"f32">];
  const wt = createTransposed(device, spec, w, maxBinding);
  if (E.isLeft(wt)) return (free(), scratch.right.forEach(destroyTensor), wt);
  return E.right({
    device,
    spec,
    k,
    w,
    wt: wt.right,
    dummy,
    maxBinding,
    grads,
    names: Object.keys(grads),
    teacher,
    shapes: new Map(),
    opt: { m, v, partials, stats, decay: (n) => deviceDecays(spec, n) },
    timestamps: opts.timestamps === true,
    live: { t: "t" in init ? init.t : 0, staleWt: true, kernelTimes: [] },
  });
};

/** Reads tensors of the trainable names back, by core name (gpu/model/weights.ts hostArrays). */
const readNamed = async (
  cx: TrainContext,
  label: string,
  sets: ReadonlyArray<Tensors>,
): Promise<E.Either<GpuError, Weights[]>> => {
  const batch = createBatch(cx.device, label);
  const hs = sets.map((ts) => cx.names.map((n) => batch.read(ts[n]!)));
  const host = (r: Readbacks) => (h: ReadonlyArray<ReadHandle<"f32">>) =>
    hostArrays(cx.spec, Object.fromEntries(cx.names.map((n, i) => [n, r.get(h[i]!)])));
  return pipe(await batch.submit()(), E.map((r) => hs.map(host(r))));
};

const readState = async (cx: TrainContext): Promise<E.Either<GpuError, OptimizerState>> =>
  E.map(([weights, m, v]: Weights[]) => ({ weights: weights!, m: m!, v: v!, t: cx.live.t }))(
    await readNamed(cx, "optimizer state", [cx.w, cx.opt.m, cx.opt.v]),
  );

const destroyTrainer = (cx: TrainContext): void => {
  cx.shapes.forEach(destroyTrainBuffers);
  freeAll([cx.w, cx.grads, cx.opt.m, cx.opt.v]);
  destroyTransposed(cx.wt);
  [cx.dummy, cx.opt.partials, cx.opt.stats].forEach(destroyTensor);
  cx.teacher?.model.destroy();
};

/** The Trainer over a context: each method one named step. */
const gpuTrainer = (cx: TrainContext): GpuTrainer => ({
  spec: cx.spec,
  step: (mbs, B, T, hp) => () => trainStep(cx, mbs, B, T, hp),
  evalLoss: (mb, B, T) => () => evalLoss(cx, mb, B, T),
  lastKernelTimes: () => cx.live.kernelTimes,
  gradients: () => async () => E.map((gs: Weights[]) => gs[0]!)(await readNamed(cx, "gradients", [cx.grads])),
  state: () => () => readState(cx),
  destroy: () => destroyTrainer(cx),
});
