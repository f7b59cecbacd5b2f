/**
 * A plan's target (core/surgery/plan.ts; Sanyal et al. 2024, Algorithm 1) as HF tensors streamed from the
 * reference's stored ones, tensor by tensor, without widening the reference to f32. A plain layer selection
 * keeps the family and every width, so each target tensor has its reference tensor's HF shape and layout
 * (a GPT-2 Conv1D transposed in and out again, a rotary permutation undone and redone, are the identity on
 * the stored bytes): the bytes are copied unchanged, or converted to another dtype when asked
 * (round-to-nearest-even, core/codecs/half.ts). Peak memory: one stored tensor and its conversion.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { bytesToF32, f32ToBytes } from "../../core/codecs/half.ts";
import { hfOutSlots } from "../../core/codecs/hf_layout.ts";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import type { InheritancePlan } from "../../core/surgery/plan.ts";
import type { HfHandle } from "./hf_checkpoint.ts";
import { bytesOf, readStored, type StoredTensor, type TensorOut } from "./safetensors.ts";

/** One stored tensor written as `dtype`: its own bytes when the dtype is its own, else converted. */
export const storedOut = (name: string, src: StoredTensor, dtype: Dtype = src.dtype): TensorOut => ({
  name,
  dtype,
  shape: src.shape,
  pieces: async function* () {
    const r = await readStored(src)();
    if (E.isLeft(r)) throw r.left; // keeps its own message through the atomic writer
    yield dtype === src.dtype ? r.right : f32ToBytes(bytesToF32(r.right, src.dtype), dtype);
  },
});

/**
 * The target's HF tensors, in the target's order, each from the stored reference tensor its plan entry
 * inherits; `dtype` converts every one (undefined: each keeps the reference tensor's dtype). A tied LM head
 * has no tensor of its own. A plan that initialises or reshapes tensors is a broken invariant here.
 */
export const inheritedTensors = (plan: InheritancePlan, ref: HfHandle, dtype?: Dtype): ReadonlyArray<TensorOut> => {
  const stored = new Map(ref.slots.map((x) => [x.slot.ours, x.stored]));
  const fates = new Map(plan.entries.map((e) => [e.target, e.fate]));
  return hfOutSlots(plan.target).map((slot) => { // a fused tensor is its first part's, the parts inherit together
    const fate = fates.get(slot.ours), src = fate?._tag === "inherit" ? stored.get(fate.from) : undefined;
    if (src === undefined || src.shape.join() !== slot.hfShape.join()) {
      throw new Error(`Cannot stream target tensor ${slot.ours}: its plan entry is not a same-shape inheritance`);
    }
    return storedOut(slot.hf, src, dtype);
  });
};

/** The dtype holding most of the bytes (config.json's torch_dtype for a checkpoint of mixed dtypes). */
export const mainDtype = (xs: ReadonlyArray<TensorOut>): Dtype => {
  const by = new Map<Dtype, number>();
  for (const x of xs) by.set(x.dtype, (by.get(x.dtype) ?? 0) + bytesOf(x));
  return [...by].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "F32";
};
