import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { forward } from "../../../core/model/forward.ts";
import { ffnDim } from "../../../core/model/spec.ts";
import { blockName } from "../../../core/model/tensors.ts";
import { ffnImportance, keepUnits, narrowFfn } from "../../../core/surgery/width.ts";
import { arbSpec, arbTokens, arbWeights } from "../arbitraries.ts";

const arbCase = arbSpec.chain((s) =>
  fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s), f: fc.integer({ min: 1, max: ffnDim(s) }) })
);

describe("narrowing the feed-forward width", () => {
  test.prop([arbCase])("for any model, keeping all F units is the identity", ({ s, w }) => {
    const all = Array.from({ length: s.nLayer }, () => Array.from({ length: ffnDim(s) }, (_, u) => u));
    const r = narrowFfn(s, w, all);
    expect(E.isRight(r) && r.right).toEqual({ spec: s, weights: w });
  });

  test.prop([arbCase])(
    "for any model and f, the narrowed model's logits are the full model's with the dropped units' outputs zeroed, bit for bit",
    ({ s, w, batch: { B, T, tokens }, f }) => {
      const keep = ffnImportance(s, w, tokens, B, T).map((imp) => keepUnits(imp, f));
      const narrow = narrowFfn(s, w, keep);
      if (E.isLeft(narrow)) throw new Error(narrow.left.message);
      const F = ffnDim(s), C = s.nEmbd, down = s._tag === "gpt2" ? "fcprojw" : "w2";
      const zeroed = { ...w };
      keep.forEach((k, i) => {
        const m = w[blockName(i, down)]!.slice();
        for (let r = 0; r < C; r++) for (let u = 0; u < F; u++) if (!k.includes(u)) m[r * F + u] = 0;
        zeroed[blockName(i, down)] = m;
      });
      expect(forward(narrow.right.spec, narrow.right.weights, tokens, B, T).logits).toEqual(
        forward(s, zeroed, tokens, B, T).logits,
      );
    },
  );

  test.prop([
    fc.array(fc.double({ noNaN: true, min: 0, max: 9 }), { minLength: 1, maxLength: 40 }).chain((imp) =>
      fc.tuple(fc.constant(imp), fc.integer({ min: 1, max: imp.length }))
    ),
  ])(
    "keepUnits keeps the f largest importances, in ascending unit order",
    ([imp, f]) => {
      const k = keepUnits(imp, f);
      expect(k).toHaveLength(f);
      expect([...k].sort((a, b) => a - b)).toEqual(k);
      const least = Math.min(...k.map((u) => imp[u]!));
      for (let u = 0; u < imp.length; u++) if (!k.includes(u)) expect(imp[u]).toBeLessThanOrEqual(least);
    },
  );
});
