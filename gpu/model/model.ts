/**
 * A model on the GPU: weights uploaded once, activations per (B, T) shape kept for reuse, and
 * forward passes that each run as one batch (one submit, one readback).
 * forward(tokens) → logits (B, T, V), and on request the residual stream (stream[k] is block k's
 * input, stream[L] the final norm's) and the mean loss against targets; loss(tokens, targets) that
 * loss alone. blockForward and
 * headLogits run one block, or the final norm and head, on a residual given from the host:
 * with them a target's block can be checked against the reference block it came from.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { contextLimit, headDim, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { type Activations, createActivations, destroyActivations } from "./activations.ts";
import { type Batch, createBatch, type Readbacks, type ReadHandle } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { createDecoder, type GpuDecoder } from "./decoder.ts";
import { compileForwardKernels } from "./forward_kernels.ts";
import { type DeviceWeights, uploadWeights } from "./weights.ts";
import { type ForwardContext, recordBlock, recordEmbed, recordHead, sharedBlockBuffers } from "./record_forward.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { bindingLimit, createTensor, destroyTensor, upload } from "../engine/tensor.ts";
import { createTransposed, destroyTransposed, recordTransposes } from "./transposed.ts";

export interface GpuForward {
  readonly logits: Float32Array; // (B, T, V)
  readonly stream?: ReadonlyArray<Float32Array>; // L + 1 of (B, T, C)
  readonly loss?: number; // mean over B·T, summed in index order on the host
}

export interface GpuModel {
  readonly spec: ModelSpec;
  forward(
    tokens: Int32Array,
    B: number,
    T: number,
    opts?: { stream?: boolean; targets?: Int32Array },
  ): TE.TaskEither<GpuError, GpuForward>;
  /** Mean loss against `targets` (B, T), reading back only the row losses: scoring, as an Evaluator does. */
  loss(tokens: Int32Array, targets: Int32Array, B: number, T: number): TE.TaskEither<GpuError, number>;
  blockForward(i: number, x: Float32Array, B: number, T: number): TE.TaskEither<GpuError, Float32Array>;
  headLogits(x: Float32Array, B: number, T: number): TE.TaskEither<GpuError, Float32Array>;
  /**
   * Records the forward of `tokens` (B, T) into a caller's batch, uploading the tokens now, and
   * gives the logits chunks it fills (valid until the next use of this shape). For a frozen
   * teacher inside a training step (gpu/train/trainer.ts): no submit of its own.
   */
  recordLogits(batch: Batch, tokens: Int32Array, B: number, T: number): E.Either<GpuError, Activations["logits"]>;
  /** A fresh KV-cache decoder for one sequence (gpu/model/decoder.ts). */
  decoder(): E.Either<GpuError, GpuDecoder>;
  destroy(): void;
}

export interface GpuModelOptions {
  /** The adapter's kernel family (gpu/kernels/profile.ts profileFor); "cpu" when left out. */
  readonly profile?: KernelProfile;
  /**
   * The largest binding, in bytes, for the model-sized tensors (weights, Wᵀ, logits chunks), which are
   * bound as views within it; clamped to the device's maxStorageBufferBindingSize, which is the default.
   * Tests force a small one to exercise every split.
   */
  readonly maxBindingBytes?: number;
  /** @deprecated the old name of maxBindingBytes, still honoured when that is not given. */
  readonly splitBytes?: number;
}

const concat = (parts: ReadonlyArray<Float32Array>): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};

/** The weights go back when what was built from them failed. */
const freeOnLeft = <A>(w: DeviceWeights, r: E.Either<GpuError, A>): E.Either<GpuError, A> => {
  if (E.isLeft(r)) Object.values(w).forEach(destroyTensor);
  return r;
};

export const createGpuModel = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  opts: GpuModelOptions = {},
): TE.TaskEither<GpuError, GpuModel> =>
  pipe(
    compileForwardKernels(cache, opts.profile, headDim(spec)),
    TE.chainEitherK((k) => {
      const device = cache.device;
      const maxBinding = bindingLimit(device, opts.maxBindingBytes ?? opts.splitBytes);
      return pipe(
        E.Do,
        E.apS("w", uploadWeights(device, spec, weights)),
        E.bind("wt", ({ w }) => freeOnLeft(w, createTransposed(device, spec, w, maxBinding))),
        E.apS("dummy", createTensor(device, "unused input", [4], "f32")),
        E.map(({ w, wt, dummy }): ForwardContext => ({ device, spec, k, w, wt, dummy, maxBinding })),
      );
    }),
    TE.chain((cx) => {
      // Wᵀ once, from the uploaded W; later batches queue behind this submit.
      const batch = createBatch(cx.device, "transpose weights");
      recordTransposes(cx.device, cx.k, cx.spec, cx.w, cx.wt, cx.maxBinding, batch);
      return TE.map(() => runner(cx))(batch.submit());
    }),
  );

const runner = (cx: ForwardContext): GpuModel => {
  const shapes = new Map<string, Activations>();
  const acts = (B: number, T: number, stream: boolean): E.Either<GpuError, Activations> => {
    const key = `${B}x${T}${stream ? "s" : ""}`;
    const have = shapes.get(key);
    if (have !== undefined) return E.right(have);
    return E.map((a: Activations) => (shapes.set(key, a), a))(
      createActivations(cx.device, cx.spec, B, T, stream, cx.maxBinding, cx.device.limits.maxStorageBufferBindingSize),
    );
  };
  const checkShape = (B: number, T: number, n: number, per: number): E.Either<GpuError, void> =>
    T > contextLimit(cx.spec).limit || B < 1 || T < 1 || n !== B * T * per
      ? E.left(
        gpuError(
          "TooLarge",
          `Cannot run the model on ${n} values as batch ${B} × ${T}: at most ${
            contextLimit(cx.spec).limit
          } positions (${contextLimit(cx.spec).why})`,
          "check the batch and context sizes",
        ),
      )
      : E.right(undefined);
  /** Embedding, every block and the head into a's buffers (copying the residual stream when a keeps one). */
  const recordModel = (batch: Batch, a: Activations, loss: boolean): void => {
    recordEmbed(cx, batch, a);
    if (a.stream.length > 0) batch.copy(a.f32.x, a.stream[0]!);
    for (let i = 0; i < cx.spec.nLayer; i++) {
      recordBlock(cx, batch, a, sharedBlockBuffers(a), i);
      if (a.stream.length > 0) batch.copy(a.f32.x, a.stream[i + 1]!);
    }
    recordHead(cx, batch, a, loss);
  };
  const readLogits = (a: Activations) => {
    const batch = createBatch(cx.device, `forward ${a.B}x${a.T}`);
    return { batch, logits: (): ReadHandle<"f32">[] => a.logits.map((c) => batch.read(c.tensor)) };
  };

  return {
    spec: cx.spec,
    forward: (tokens, B, T, o = {}) =>
      pipe(
        TE.fromEither(E.chain(() => acts(B, T, o.stream ?? false))(checkShape(B, T, tokens.length, 1))),
        TE.chain((a) => {
          upload(cx.device, a.tokens, tokens);
          if (o.targets) upload(cx.device, a.targets, o.targets);
          const { batch, logits } = readLogits(a);
          recordModel(batch, a, o.targets !== undefined);
          const hl = logits(),
            hs = a.stream.map((t) => batch.read(t)),
            hloss = o.targets ? batch.read(a.f32.losses) : undefined;
          return TE.map((r: { get: (h: ReadHandle<"f32">) => Float32Array }) => ({
            logits: concat(hl.map((h) => r.get(h))),
            ...(o.stream ? { stream: hs.map((h) => r.get(h)) } : {}),
            ...(hloss ? { loss: r.get(hloss).reduce((s, v) => s + v, 0) / (B * T) } : {}),
          }))(batch.submit());
        }),
      ),
    loss: (tokens, targets, B, T) =>
      pipe(
        TE.fromEither(E.chain(() => acts(B, T, false))(checkShape(B, T, tokens.length, 1))),
        TE.chain((a) => {
          upload(cx.device, a.tokens, tokens);
          upload(cx.device, a.targets, targets);
          const batch = createBatch(cx.device, `loss ${B}x${T}`);
          recordModel(batch, a, true);
          const h = batch.read(a.f32.losses); // summed in index order, as forward's loss and the trainer's evalLoss
          return TE.map((r: Readbacks) => r.get(h).reduce((s, v) => s + v, 0) / (B * T))(batch.submit());
        }),
      ),
    blockForward: (i, x, B, T) =>
      pipe(
        TE.fromEither(E.chain(() => acts(B, T, false))(checkShape(B, T, x.length, cx.spec.nEmbd))),
        TE.chain((a) => {
          upload(cx.device, a.f32.x, x);
          const batch = createBatch(cx.device, `block ${i} ${B}x${T}`);
          recordBlock(cx, batch, a, sharedBlockBuffers(a), i);
          const h = batch.read(a.f32.x);
          return TE.map((r: { get: (h: ReadHandle<"f32">) => Float32Array }) => r.get(h))(batch.submit());
        }),
      ),
    headLogits: (x, B, T) =>
      pipe(
        TE.fromEither(E.chain(() => acts(B, T, false))(checkShape(B, T, x.length, cx.spec.nEmbd))),
        TE.chain((a) => {
          upload(cx.device, a.f32.x, x);
          const { batch, logits } = readLogits(a);
          recordHead(cx, batch, a, false);
          const hl = logits();
          return TE.map((r: { get: (h: ReadHandle<"f32">) => Float32Array }) => concat(hl.map((h) => r.get(h))))(
            batch.submit(),
          );
        }),
      ),
    recordLogits: (batch, tokens, B, T) =>
      pipe(
        E.chain(() => acts(B, T, false))(checkShape(B, T, tokens.length, 1)),
        E.map((a) => {
          upload(cx.device, a.tokens, tokens);
          recordModel(batch, a, false);
          return a.logits;
        }),
      ),
    decoder: () => E.chain((a: Activations) => createDecoder(cx, a))(acts(1, 1, false)),
    destroy: () => {
      shapes.forEach(destroyActivations);
      shapes.clear();
      Object.values(cx.w).forEach(destroyTensor);
      destroyTransposed(cx.wt);
      destroyTensor(cx.dummy);
    },
  };
};
