/**
 * A model on the device that reads a shared prefix once and each continuation after it: a pass of n
 * tokens at positions pos0 .. pos0 + n − 1 writes its keys and values into a KV cache (one (P, 2·KV)
 * tensor per block, P the context) and attends to the cache's positions before it (recordBlock's
 * DecodeAt, the decoder's path with n rows at once). A group's first pass reads its prefix and first
 * row from position 0, each later row a pass at pos0 = p, so a multiple-choice context costs one pass'
 * worth of positions, not one per choice.
 * Same bits as the full forward of prefix + row (props/gpu/eval/prefix_forward.test.ts): every kernel
 * computes a row from that row alone, rope reads its table at the same absolute positions, and
 * attention sums the same keys in the same order (the cache holds the very values the full pass
 * holds; keys past a query's position add +0 in both).
 * Several passes share a batch, one after another: each has its own token buffer (writeBuffer lands
 * before the submit) and uses the first n rows of activations sized for the batch's longest pass;
 * one row's cache writes past p are overwritten by the next row's before they are read. A token buffer
 * is written (writeBuffer) when its pass is recorded: batches in flight at once need distinct slots.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { headDim, kvDim, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { type Batch, createBatch } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { bindingLimit, createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { type Activations, createActivations, destroyActivations } from "../model/activations.ts";
import { compileForwardKernels } from "../model/forward_kernels.ts";
import {
  type ForwardContext,
  recordBlock,
  recordEmbed,
  recordHead,
  sharedBlockBuffers,
} from "../model/record_forward.ts";
import { createTransposed, destroyTransposed, recordTransposes } from "../model/transposed.ts";
import { type DeviceWeights, uploadWeights } from "../model/weights.ts";

export interface PrefixModel {
  readonly cx: ForwardContext;
  /** Activations for passes of up to n rows, kept per size (n rounded up to a power of two, at least 16). */
  activations(n: number): E.Either<GpuError, Activations>;
  /**
   * Records a pass of n tokens at positions pos0 .. pos0 + n − 1 through token buffer `slot`, after the
   * cache's first pos0 positions: its logits chunks (rows 0 .. n − 1, valid until the next pass).
   */
  recordPass(
    batch: Batch,
    slot: number,
    a: Activations,
    tokens: Int32Array,
    pos0: number,
  ): E.Either<GpuError, Activations["logits"]>;
  destroy(): void;
}

const freeAll = (ts: ReadonlyArray<GpuTensor>) => ts.forEach(destroyTensor);

/** The forward's context as gpu/model/model.ts builds it: kernels, weights, kept Wᵀ, a dummy binding. */
const forwardContext = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  profile: KernelProfile,
): TE.TaskEither<GpuError, ForwardContext> =>
  pipe(
    compileForwardKernels(cache, profile, headDim(spec)),
    TE.chainEitherK((k) => {
      const device = cache.device, maxBinding = bindingLimit(device);
      const free = (w: DeviceWeights) => <A>(r: E.Either<GpuError, A>) => (E.isLeft(r) && freeAll(Object.values(w)), r);
      return pipe(
        E.Do,
        E.apS("w", uploadWeights(device, spec, weights)),
        E.bind("wt", ({ w }) => free(w)(createTransposed(device, spec, w, maxBinding))),
        E.apS("dummy", createTensor(device, "unused input", [4], "f32")),
        E.map(({ w, wt, dummy }): ForwardContext => ({ device, spec, k, w, wt, dummy, maxBinding })),
      );
    }),
    TE.chain((cx) => {
      const batch = createBatch(cx.device, "transpose weights");
      recordTransposes(cx.device, cx.k, cx.spec, cx.w, cx.wt, cx.maxBinding, batch);
      return TE.map(() => cx)(batch.submit());
    }),
  );

/** One (P, 2·KV) cache per block, each bound whole (attention reads every cached position at once). */
const createCaches = (cx: ForwardContext): E.Either<GpuError, GpuTensor<"f32">[]> => {
  const P = cx.spec.blockSize, KV2 = 2 * kvDim(cx.spec), max = cx.device.limits.maxStorageBufferBindingSize;
  if (4 * P * KV2 > max) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot hold a KV cache of ${P} positions × ${KV2} values (${4 * P * KV2} bytes) in one binding of ${max}`,
        "score with --backend cpu, or on a device with a larger maxStorageBufferBindingSize",
      ),
    );
  }
  const out: GpuTensor<"f32">[] = [];
  for (let i = 0; i < cx.spec.nLayer; i++) {
    const t = createTensor(cx.device, `eval kv cache ${i}`, [P, KV2], "f32");
    if (E.isLeft(t)) return (freeAll(out), t);
    out.push(t.right);
  }
  return E.right(out);
};

/** The first n rows of a: its buffers, n rows of them used, the logits chunks cut at n. */
const firstRows = (a: Activations, n: number, tokens: GpuTensor<"i32">): Activations => ({
  ...a,
  B: 1,
  T: n,
  N: n,
  tokens,
  logits: a.logits.filter((c) => c.firstRow < n).map((c) => ({ ...c, rows: Math.min(c.rows, n - c.firstRow) })),
});

const runner = (cx: ForwardContext, caches: GpuTensor<"f32">[]): PrefixModel => {
  const P = cx.spec.blockSize, sizes = new Map<number, Activations>(), slots: GpuTensor<"i32">[] = [];
  const slot = (i: number): E.Either<GpuError, GpuTensor<"i32">> => {
    while (slots.length <= i) {
      const t = createTensor(cx.device, `eval tokens ${slots.length}`, [P], "i32");
      if (E.isLeft(t)) return t;
      slots.push(t.right);
    }
    return E.right(slots[i]!);
  };
  const checked = (n: number, pos0: number, a: Activations): E.Either<GpuError, void> =>
    n < 1 || n > a.N || pos0 + n > P
      ? E.left(
        gpuError(
          "TooLarge",
          `Cannot read ${n} tokens at position ${pos0}: the context holds ${P}, the activations ${a.N} rows`,
          "pack rows within the model's context (core/eval/pack.ts)",
        ),
      )
      : E.right(undefined);
  /** Embedding, blocks (into the cache) and head of `tokens` at pos0, through the first n rows of a. */
  const recordPass = (batch: Batch, i: number, a: Activations, tokens: Int32Array, pos0: number) =>
    pipe(
      checked(tokens.length, pos0, a),
      E.chain(() => slot(i)),
      E.map((t) => {
        upload(cx.device, t, tokens);
        const r = firstRows(a, tokens.length, t);
        recordEmbed(cx, batch, r, pos0);
        caches.forEach((cache, l) => recordBlock(cx, batch, r, sharedBlockBuffers(r), l, { cache, capacity: P, pos0 }));
        recordHead(cx, batch, r, false);
        return r.logits;
      }),
    );
  return {
    cx,
    activations: (n) => {
      const size = Math.min(P, 2 ** Math.max(4, Math.ceil(Math.log2(n))));
      const have = sizes.get(size);
      if (have !== undefined) return E.right(have);
      const max = cx.device.limits.maxStorageBufferBindingSize;
      const made = createActivations(cx.device, cx.spec, 1, size, false, cx.maxBinding, max);
      return E.map((a: Activations) => (sizes.set(size, a), a))(made);
    },
    recordPass,
    destroy: () => {
      sizes.forEach(destroyActivations);
      freeAll([...slots, ...caches, ...Object.values(cx.w), cx.dummy]);
      destroyTransposed(cx.wt);
    },
  };
};

export const createPrefixModel = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  profile: KernelProfile = "cpu",
): TE.TaskEither<GpuError, PrefixModel> =>
  pipe(
    forwardContext(cache, spec, weights, profile),
    TE.chainEitherK((cx) => {
      const caches = createCaches(cx);
      if (E.isLeft(caches)) freeAll([...Object.values(cx.w), cx.dummy]), destroyTransposed(cx.wt);
      return E.map((c: GpuTensor<"f32">[]) => runner(cx, c))(caches);
    }),
  );
