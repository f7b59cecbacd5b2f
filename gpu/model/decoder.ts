/**
 * Token-by-token decoding on the GPU with a KV cache: each step runs one new token through the
 * blocks, appending its keys and values to a per-block cache (capacity = the model's context,
 * (P, 2·KV) each), so a step costs O(position), not a whole prefix. One batch, one readback of V
 * logits per step. The cache is GPU state: a decoder is a handle, stepped in order only.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { kvDim } from "../../core/model/spec.ts";
import type { Activations } from "./activations.ts";
import { createBatch } from "../engine/batch.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { type ForwardContext, recordBlock, recordEmbed, recordHead, sharedBlockBuffers } from "./record_forward.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";

export interface GpuDecoder {
  readonly position: () => number;
  /** Feeds `token` at the next position; the logits (V) that follow it. */
  step(token: number): TE.TaskEither<GpuError, Float32Array>;
  destroy(): void;
}

export const createDecoder = (cx: ForwardContext, acts: Activations): E.Either<GpuError, GpuDecoder> => {
  const P = cx.spec.blockSize, KV2 = 2 * kvDim(cx.spec);
  const caches: GpuTensor<"f32">[] = [];
  // Attention reads every cached position of a block in one dispatch, so a cache is bound whole.
  const max = cx.device.limits.maxStorageBufferBindingSize;
  if (4 * P * KV2 > max) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot hold a KV cache of ${P} positions × ${KV2} values (${
          4 * P * KV2
        } bytes) in one binding of ${max} bytes`,
        "decode with a model of a shorter context, or on a device with a larger maxStorageBufferBindingSize",
      ),
    );
  }
  for (let i = 0; i < cx.spec.nLayer; i++) {
    const t = createTensor(cx.device, `kv cache ${i}`, [P, KV2], "f32");
    if (E.isLeft(t)) {
      caches.forEach(destroyTensor);
      return t;
    }
    caches.push(t.right);
  }
  let pos = 0;
  return E.right({
    position: () => pos,
    step: (token) => {
      if (pos >= P) {
        return TE.left(
          gpuError("TooLarge", `Cannot decode position ${pos}: the context holds ${P}`, "generate fewer tokens"),
        );
      }
      upload(cx.device, acts.tokens, Int32Array.of(token));
      const batch = createBatch(cx.device, `decode ${pos}`);
      recordEmbed(cx, batch, acts, pos);
      caches.forEach((cache, i) =>
        recordBlock(cx, batch, acts, sharedBlockBuffers(acts), i, { cache, capacity: P, pos0: pos })
      );
      recordHead(cx, batch, acts, false);
      const h = batch.read(acts.logits[0]!.tensor);
      pos += 1;
      return pipe(batch.submit(), TE.map((r) => r.get(h)));
    },
    destroy: () => caches.forEach(destroyTensor),
  });
};
