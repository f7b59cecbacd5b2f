/**
 * The forward the block measures read (adapters/analysis/measure.ts; Sanyal et al. 2024 v4, "lazy
 * layers"): one batch per run of windows that keeps, for every block k, its input and output rows
 * (the residual stream, for the block influence), its causal attention probabilities (B, NH, T, T)
 * (gpu/kernels/attention/attention_probs.ts, from the block's qkv and lse right after its
 * attention), and the row losses of an early exit after it (the final norm and LM head on its
 * output, against the next tokens; a batch per exit, on the output read back, so the device's pacing
 * learns the blocks' batch and the exit's apart). The blocks record as in gpu/model/record_forward.ts, so the
 * stream is the model's forward bit for bit. A run's windows are chosen by the caller so that the
 * probabilities fit one binding (windowsPerRun).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { headDim, kvDim, kvHeads, type ModelSpec, qDim } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { createBatch, type KernelTime, type Readbacks, type ReadHandle } from "../engine/batch.ts";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import { headDimVariant } from "../kernels/attention/attention.ts";
import { attentionProbs, attentionProbsLanes } from "../kernels/attention/attention_probs.ts";
import { type KernelProfile, sharesLanes } from "../kernels/profile.ts";
import { type Activations, createActivations, destroyActivations } from "./activations.ts";
import { compileForwardKernels } from "./forward_kernels.ts";
import { type ForwardContext, recordBlock, recordEmbed, recordHead, sharedBlockBuffers } from "./record_forward.ts";
import { createTransposed, destroyTransposed, recordTransposes } from "./transposed.ts";
import { uploadWeights } from "./weights.ts";

/** What one run gives, per block k < L: stream[k] its input (B·T, C) and stream[k + 1] its output. */
export interface BlockProbes {
  readonly stream: ReadonlyArray<Float32Array>; // L + 1 of (B·T, C)
  readonly probs: ReadonlyArray<Float32Array>; // L of (B, NH, T, T)
  readonly exitLosses: ReadonlyArray<Float32Array>; // L of (B·T): the early exit's cross-entropy per row
}

export interface GpuBlockProbe {
  /** With exits false, no early exit runs (the LM head on every block costs more than the blocks) and exitLosses is empty. */
  run(
    tokens: Int32Array,
    targets: Int32Array,
    B: number,
    T: number,
    exits?: boolean,
  ): TE.TaskEither<GpuError, BlockProbes>;
  /** The most windows of T tokens one run takes: probabilities within one binding, and `budgetBytes` for the rest. */
  windowsPerRun(T: number, budgetBytes: number): number;
  /** Each dispatch's GPU time in the last run, when created with `timestamps` (bench/); else empty. */
  lastKernelTimes(): ReadonlyArray<KernelTime>;
  destroy(): void;
}

export interface BlockProbeOptions {
  /** Time every dispatch (a device with "timestamp-query"; a pass per dispatch, so a little slower). */
  readonly timestamps?: boolean;
}

type ProbsKernel = CompiledKernel<typeof attentionProbs>;

/** Bytes one window of T tokens holds in a run: its logits, and what the run reads back. */
const bytesPerWindow = (s: ModelSpec, T: number) =>
  4 * T * (s.vocabSize + s.nLayer * (s.nHead * T + 1) + (s.nLayer + 1) * s.nEmbd);

export const createBlockProbe = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  profile: KernelProfile = "cpu",
  opts: BlockProbeOptions = {},
): TE.TaskEither<GpuError, GpuBlockProbe> =>
  pipe(
    TE.Do,
    TE.apS("k", compileForwardKernels(cache, profile, headDim(spec))),
    TE.apS(
      "probs",
      cache.compile(sharesLanes(profile) ? attentionProbsLanes : attentionProbs, headDimVariant(headDim(spec))),
    ),
    TE.chainEitherK(({ k, probs }) => {
      const device = cache.device, maxBinding = device.limits.maxStorageBufferBindingSize;
      return pipe(
        E.Do,
        E.apS("w", uploadWeights(device, spec, weights)),
        E.bind("wt", ({ w }) => createTransposed(device, spec, w, maxBinding)),
        E.apS("dummy", createTensor(device, "unused input", [4], "f32")),
        E.map(({ w, wt, dummy }) => ({ cx: { device, spec, k, w, wt, dummy, maxBinding }, probs })),
      );
    }),
    TE.chain(({ cx, probs }) => {
      const batch = createBatch(cx.device, "transpose weights");
      recordTransposes(cx.device, cx.k, cx.spec, cx.w, cx.wt, cx.maxBinding, batch);
      return TE.map(() => prober(cx, probs as ProbsKernel, opts.timestamps === true))(batch.submit());
    }),
  );

const prober = (cx: ForwardContext, probsKernel: ProbsKernel, timestamps: boolean): GpuBlockProbe => {
  const s = cx.spec, NH = s.nHead, maxBinding = cx.maxBinding;
  let kernelTimes: ReadonlyArray<KernelTime> = [];
  let held: { a: Activations; probs: GpuTensor<"f32"> } | undefined;
  const release = () => {
    if (held !== undefined) (destroyActivations(held.a), destroyTensor(held.probs));
    held = undefined;
  };
  /** The buffers of one (B, T), kept while runs keep that shape (every run but a shorter last one). */
  const buffers = (B: number, T: number): E.Either<GpuError, { a: Activations; probs: GpuTensor<"f32"> }> => {
    if (held?.a.B === B && held.a.T === T) return E.right(held);
    release();
    const a = createActivations(cx.device, s, B, T, false, maxBinding, maxBinding);
    if (E.isLeft(a)) return a;
    const probs = 4 * B * NH * T * T > maxBinding
      ? E.left(
        gpuError(
          "TooLarge",
          `Cannot hold the attention probabilities of ${B} windows of ${T} tokens: ${
            4 * B * NH * T * T
          } bytes, one binding takes ${maxBinding}`,
          "analyse fewer windows per run (windowsPerRun)",
        ),
      )
      : createTensor(cx.device, `attention probs ${B}x${T}`, [B * NH * T * T], "f32");
    if (E.isLeft(probs)) return (destroyActivations(a.right), probs);
    held = { a: a.right, probs: probs.right };
    return E.right(held);
  };
  // The batch is checked, recorded and submitted as soon as the task runs, before anything is awaited: fp-ts chains
  // run each step in a promise callback, so a run chained after its check was submitted only once the caller
  // yielded, and analyze (adapters/analysis/measure.ts) counted the last run on the host before the next began.
  const run = (
    tokens: Int32Array,
    targets: Int32Array,
    B: number,
    T: number,
    exits = true,
  ): TE.TaskEither<GpuError, BlockProbes> =>
  () => {
    const got = tokens.length !== B * T || targets.length !== B * T || T > s.blockSize
      ? E.left(
        gpuError(
          "TooLarge",
          `Cannot probe ${tokens.length} tokens as ${B} windows of ${T}: the context holds ${s.blockSize}`,
          "check the windows and their length",
        ),
      )
      : buffers(B, T);
    if (E.isLeft(got)) return Promise.resolve(got);
    return submitRun(got.right.a, got.right.probs, tokens, targets, B, T, exits)();
  };
  /** Uploads, records and submits now, when called; the task returned awaits the results (and any early exits). */
  const submitRun = (
    a: Activations,
    probs: GpuTensor<"f32">,
    tokens: Int32Array,
    targets: Int32Array,
    B: number,
    T: number,
    exits: boolean,
  ): TE.TaskEither<GpuError, BlockProbes> => {
    upload(cx.device, a.tokens, tokens);
    upload(cx.device, a.targets, targets);
    // One batch for the blocks, then one per early exit on the block outputs read back. Each kind keys the device's
    // pacing per window (gpu/engine/pacing.ts sleeps the time it expects, and polls a core through a key's first
    // batch), so a shorter last run keeps the cost learnt.
    const pace = { key: `block probes ×${T}`, units: B };
    const batch = createBatch(cx.device, `block probes ${B}x${T}`, { timestamps, pace });
    const D = headDim(s), Q = qDim(s), W = Q + 2 * kvDim(s);
    const u = { B, T, NH, NKV: kvHeads(s), D, W, C: Q, scale: 1 / Math.sqrt(D) };
    recordEmbed(cx, batch, a);
    const hs: ReadHandle<"f32">[] = [batch.read(a.f32.x)], hp: ReadHandle<"f32">[] = [];
    for (let i = 0; i < s.nLayer; i++) {
      recordBlock(cx, batch, a, sharedBlockBuffers(a), i);
      batch.dispatch(probsKernel, { qkv: a.f32.qkv, lse: a.f32.lse, probs }, u);
      hp.push(batch.read(probs));
      hs.push(batch.read(a.f32.x));
    }
    const submitted = batch.submit()(); // now
    return pipe(
      () => submitted,
      TE.map((r: Readbacks) => ({
        stream: hs.map((h) => r.get(h)),
        probs: hp.map((h) => r.get(h)),
        timings: r.timings,
      })),
      TE.chain((r) =>
        TE.map((x: { losses: Float32Array[]; timings: KernelTime[] }): BlockProbes => (
          kernelTimes = [...r.timings, ...x.timings], { stream: r.stream, probs: r.probs, exitLosses: x.losses }
        ))(exits ? exitLosses(a, r.stream, B, T) : TE.right({ losses: [], timings: [] }))
      ),
    );
  };
  /** The early exit after each block: its output (stream[k + 1], read back) uploaded as x, the final norm, head and loss. */
  const exitLosses = (a: Activations, stream: ReadonlyArray<Float32Array>, B: number, T: number) => async () => {
    const losses: Float32Array[] = [], timings: KernelTime[] = [];
    for (const x of stream.slice(1)) {
      upload(cx.device, a.f32.x, x);
      const batch = createBatch(cx.device, `early exit ${B}x${T}`, {
        timestamps,
        pace: { key: `early exit ×${T}`, units: B },
      });
      recordHead(cx, batch, a, true);
      const h = batch.read(a.f32.losses), r = await batch.submit()();
      if (E.isLeft(r)) return r;
      losses.push(r.right.get(h));
      timings.push(...r.right.timings);
    }
    return E.right({ losses, timings });
  };
  return {
    run,
    windowsPerRun: (T, budget) =>
      Math.max(1, Math.min(Math.floor(maxBinding / (4 * NH * T * T)), Math.floor(budget / bytesPerWindow(s, T)))),
    lastKernelTimes: () => kernelTimes,
    destroy: () => {
      release();
      Object.values(cx.w).forEach(destroyTensor);
      destroyTransposed(cx.wt);
      destroyTensor(cx.dummy);
    },
  };
};
