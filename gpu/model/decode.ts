/**
 * Generation steps on the GPU for core/generate/generate.ts, through a KV-cache decoder (gpu/model/decoder.ts).
 * The state is the decoder handle itself; a failed step throws its GpuError (a value with _tag),
 * which the caller folds back into an Either.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { Step } from "../../core/generate/generate.ts";
import type { GpuDecoder } from "./decoder.ts";

export const gpuDecodeStep: Step<GpuDecoder> = async (decoder, token) => {
  const r = await decoder.step(token)();
  if (E.isLeft(r)) throw r.left;
  return { logits: r.right, state: decoder };
};
