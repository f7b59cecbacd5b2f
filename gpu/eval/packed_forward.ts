/**
 * A model on the device that reads many documents in one forward pass, without a KV cache (tree
 * packing, core/eval/packed_layout.ts): a pass's positions are groups side by side, each its prefix then
 * its rows; every kernel but three computes a position from its own row alone, and those three read the
 * pass's per-position buffers: the embedding and rope read each position's place in its prefix + row, and
 * attention (its spans build) reads the two spans of keys a position sees (recordBlock's PackedAt).
 * Same bits as the full forward of each prefix + row (props/gpu/eval/packed_forward.test.ts): the same table
 * entries at the same positions, and attention sums the same keys in the same order (masked keys add +0).
 * Passes are one sequence (B = 1) of at most passTokens positions: on lavapipe a pass costs some 70
 * dispatches whatever its length, so the more documents per pass the fewer dispatches per document. The
 * budget is PASS_TOKENS, or fewer where a (rows, width) activation would pass one binding (large models).
 * Several passes may share a batch, one after another through the same activations: each has its own input
 * buffers (slot), since a writeBuffer lands before the batch's submit, so before any pass of it runs.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { PackedPass } from "../../core/eval/packed_layout.ts";
import { gatedMlp } from "../../core/model/features.ts";
import { ffnDim, headDim, kvDim, type ModelSpec, qDim } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { type Batch, createBatch } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { bindingLimit, createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { type Activations, createActivations, destroyActivations } from "../model/activations.ts";
import { compileForwardKernels, compilePackedKernels, type PackedKernels } from "../model/forward_kernels.ts";
import {
  type ForwardContext,
  recordBlock,
  recordEmbed,
  recordHead,
  sharedBlockBuffers,
} from "../model/record_forward.ts";
import { createTransposed, destroyTransposed, recordTransposes } from "../model/transposed.ts";
import { type DeviceWeights, uploadWeights } from "../model/weights.ts";

/**
 * Positions per pass at most: some 14 arc_easy documents, past the point where dispatches dominate on lavapipe
 * (some 70 a pass) and below the one where a pass's activations leave the CPU's caches: measured on stories260K,
 * passes of 8,192 positions took 1.5–2× the kernel time per position of passes of 300–2,048.
 */
export const PASS_TOKENS = 2048;

export interface PackedOptions {
  readonly profile?: KernelProfile; // "cpu" when left out
  readonly maxBindingBytes?: number; // the binding limit for weights and logits (the adapter's when left out)
  readonly passTokens?: number; // at most PASS_TOKENS and what one binding holds
}

export interface PackedModel {
  readonly cx: ForwardContext;
  readonly passTokens: number;
  /** Records a pass through input slot `slot`: its logits chunks (rows 0 .. n − 1, valid until the next pass). */
  recordPass(batch: Batch, slot: number, pass: PackedPass): E.Either<GpuError, Activations["logits"]>;
  destroy(): void;
}

const freeAll = (ts: ReadonlyArray<GpuTensor>) => ts.forEach(destroyTensor);

/** The forward's context as gpu/model/model.ts builds it: kernels, weights, kept Wᵀ, a dummy binding. */
const forwardContext = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  profile: KernelProfile,
  maxBindingBytes: number | undefined,
): TE.TaskEither<GpuError, ForwardContext> =>
  pipe(
    compileForwardKernels(cache, profile, headDim(spec)),
    TE.chainEitherK((k) => {
      const device = cache.device, maxBinding = bindingLimit(device, maxBindingBytes);
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

/** Rows of the widest activation (x, qkv, h, g) that one binding holds, at most PASS_TOKENS. */
export const passBudget = (s: ModelSpec, maxBinding: number): number => {
  const widest = Math.max(s.nEmbd, qDim(s) + 2 * kvDim(s), (gatedMlp(s) ? 2 : 1) * ffnDim(s), s.nHead);
  return Math.min(PASS_TOKENS, Math.floor(maxBinding / (4 * widest)));
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

interface Slot {
  readonly tokens: GpuTensor<"i32">;
  readonly positions: GpuTensor<"i32">;
  readonly spans: GpuTensor<"i32">;
}

const runner = (cx: ForwardContext, k: PackedKernels, a: Activations): PackedModel => {
  const N = a.N, slots: Slot[] = [];
  const slot = (i: number): E.Either<GpuError, Slot> => {
    while (slots.length <= i) {
      const made = pipe(
        E.Do,
        E.apS("tokens", createTensor(cx.device, `packed tokens ${slots.length}`, [N], "i32")),
        E.apS("positions", createTensor(cx.device, `packed positions ${slots.length}`, [N], "i32")),
        E.apS("spans", createTensor(cx.device, `packed spans ${slots.length}`, [3 * N], "i32")),
      );
      if (E.isLeft(made)) return made;
      slots.push(made.right);
    }
    return E.right(slots[i]!);
  };
  const recordPass = (batch: Batch, i: number, pass: PackedPass) => {
    const n = pass.tokens.length;
    if (n < 1 || n > N) {
      return E.left(
        gpuError(
          "TooLarge",
          `Cannot read a pass of ${n} positions: the activations hold ${N}`,
          "lay passes out within the model's budget (core/eval/packed_layout.ts)",
        ),
      );
    }
    return E.map((sl: Slot) => {
      upload(cx.device, sl.tokens, pass.tokens);
      upload(cx.device, sl.positions, pass.positions);
      upload(cx.device, sl.spans, pass.spans);
      const r = firstRows(a, n, sl.tokens), at = { k, positions: sl.positions, spans: sl.spans };
      recordEmbed(cx, batch, r, at);
      for (let l = 0; l < cx.spec.nLayer; l++) recordBlock(cx, batch, r, sharedBlockBuffers(r), l, at);
      recordHead(cx, batch, r, false);
      return r.logits;
    })(slot(i));
  };
  return {
    cx,
    passTokens: N,
    recordPass,
    destroy: () => {
      destroyActivations(a);
      freeAll([...slots.flatMap((s) => [s.tokens, s.positions, s.spans]), ...Object.values(cx.w), cx.dummy]);
      destroyTransposed(cx.wt);
    },
  };
};

export const createPackedModel = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  o: PackedOptions = {},
): TE.TaskEither<GpuError, PackedModel> => {
  const profile = o.profile ?? "cpu";
  return pipe(
    TE.Do,
    TE.apS("k", compilePackedKernels(cache, profile, headDim(spec))),
    TE.apS("cx", forwardContext(cache, spec, weights, profile, o.maxBindingBytes)),
    TE.chainEitherK(({ k, cx }) => {
      const max = cx.device.limits.maxStorageBufferBindingSize;
      const N = Math.max(1, Math.min(o.passTokens ?? PASS_TOKENS, passBudget(spec, max)));
      const a = createActivations(cx.device, spec, 1, N, false, cx.maxBinding, max);
      if (E.isLeft(a)) freeAll([...Object.values(cx.w), cx.dummy]), destroyTransposed(cx.wt);
      return E.map((acts: Activations) => runner(cx, k, acts))(a);
    }),
  );
};
