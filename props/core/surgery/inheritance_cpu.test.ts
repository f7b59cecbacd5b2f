import { test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { blockForward, forward, headLogits } from "../../../core/model/forward.ts";
import { inheritWeights, planInheritance } from "../../../core/surgery/plan.ts";
import { arbInheritanceCase } from "../arbitraries.ts";

/** The central property of the project, on the CPU reference: exact equality, no tolerance. */
describe("inherited blocks on the CPU reference", () => {
  test.prop([arbInheritanceCase], { numRuns: 150 })(
    "for any reference, selection and tokens, target block k maps its input exactly as reference block sel[k] does, bit for bit",
    ({ ref, weights, selection, batch: { B, T, tokens } }) => {
      const plan = planInheritance(ref, selection);
      if (E.isLeft(plan)) throw new Error(plan.left.message);
      const { target, blocks } = plan.right;
      const tw = inheritWeights(plan.right, weights);
      const got = forward(target, tw, tokens, B, T, { stream: true });
      const C = ref.nEmbd;
      blocks.forEach((j, k) => {
        for (let b = 0; b < B; b++) {
          const input = got.stream![k]!.slice(b * T * C, (b + 1) * T * C);
          const want = blockForward(ref, weights, j, input).x;
          expect(got.stream![k + 1]!.slice(b * T * C, (b + 1) * T * C)).toEqual(want);
        }
      });
      // The target's logits are the reference's early-exit readout of the same residual.
      const last = got.stream![blocks.length]!, V = ref.vocabSize;
      for (let b = 0; b < B; b++) {
        expect(got.logits.slice(b * T * V, (b + 1) * T * V)).toEqual(
          headLogits(ref, weights, last.slice(b * T * C, (b + 1) * T * C)),
        );
      }
    },
  );

  test.prop([arbInheritanceCase], { numRuns: 100 })(
    "for any reference and n, the first-n target's residual stream equals the reference's first n + 1 stream entries bit for bit",
    ({ ref, weights, selection, batch: { B, T, tokens } }) => {
      const n = selection._tag === "first" ? selection.n : selection.indices.length;
      const plan = planInheritance(ref, { _tag: "first", n });
      if (E.isLeft(plan)) throw new Error(plan.left.message);
      const mine = forward(plan.right.target, inheritWeights(plan.right, weights), tokens, B, T, { stream: true });
      const theirs = forward(ref, weights, tokens, B, T, { stream: true });
      for (let k = 0; k <= n; k++) expect(mine.stream![k]).toEqual(theirs.stream![k]);
    },
  );
});
