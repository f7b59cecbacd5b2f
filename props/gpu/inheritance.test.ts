/**
 * The central property on the GPU: a target's inherited blocks reproduce the reference's bit for
 * bit on the same device, for either family (GQA included), any selection and any tokens.
 * @module
 */
import { test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe } from "vitest";
import { inheritWeights, planInheritance } from "../../core/surgery/plan.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbInheritanceCase } from "../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "./_models.ts";

const gpu = useGpu();

describe.each(MODEL_PROFILES)("inherited blocks on the GPU, %s kernels", (profile) => {
  test.prop([arbInheritanceCase], { numRuns: 20 })(
    "for any reference, selection and tokens, target block k's output is the reference block's on the same input, and the target's logits are the reference's early exit, bit for bit",
    async ({ ref, weights, selection, batch: { B, T, tokens } }) => {
      const plan = planInheritance(ref, selection);
      if (E.isLeft(plan)) throw new Error(plan.left.message);
      const [reference, target] = [
        await gpuModel(gpu(), ref, weights, { profile }),
        await gpuModel(gpu(), plan.right.target, inheritWeights(plan.right, weights), { profile }),
      ];
      try {
        const got = unwrap(await target.forward(tokens, B, T, { stream: true })());
        for (const [k, j] of plan.right.blocks.entries()) {
          const want = unwrap(await reference.blockForward(j, got.stream![k]!, B, T)());
          expectBitEqual(`target block ${k} vs reference block ${j}`, got.stream![k + 1]!, want);
        }
        const early = unwrap(await reference.headLogits(got.stream![plan.right.blocks.length]!, B, T)());
        expectBitEqual("target logits vs reference early exit", got.logits, early);
      } finally {
        reference.destroy();
        target.destroy();
      }
    },
  );

  test.prop([arbInheritanceCase], { numRuns: 10 })(
    "for any reference and n, the first-n target's residual stream is the reference's first n + 1 entries, bit for bit",
    async ({ ref, weights, selection, batch: { B, T, tokens } }) => {
      const n = selection._tag === "first" ? selection.n : selection.indices.length;
      const plan = planInheritance(ref, { _tag: "first", n });
      if (E.isLeft(plan)) throw new Error(plan.left.message);
      const [reference, target] = [
        await gpuModel(gpu(), ref, weights, { profile }),
        await gpuModel(gpu(), plan.right.target, inheritWeights(plan.right, weights), { profile }),
      ];
      try {
        const mine = unwrap(await target.forward(tokens, B, T, { stream: true })());
        const theirs = unwrap(await reference.forward(tokens, B, T, { stream: true })());
        for (let k = 0; k <= n; k++) expectBitEqual(`stream[${k}]`, mine.stream![k]!, theirs.stream![k]!);
      } finally {
        reference.destroy();
        target.destroy();
      }
    },
  );
});
