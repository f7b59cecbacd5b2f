import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { inheritWeights, planInheritance, scratchPlan, type Selection } from "../../../core/surgery/plan.ts";
import {
  allTensors,
  blockParams,
  blockTensors,
  numel,
  paramCount,
  weightProblems,
} from "../../../core/model/tensors.ts";
import { arbSelection, arbSpec, arbWeights } from "../arbitraries.ts";

const plan = (ref: Parameters<typeof planInheritance>[0], sel: Selection) => {
  const p = planInheritance(ref, sel);
  if (E.isLeft(p)) throw new Error(p.left.message);
  return p.right;
};

describe("inheritance plans", () => {
  test.prop([arbSpec.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 1, max: s.nLayer })))])(
    "for any spec and n in 1..L, the first-n target has the reference's parameters minus (L − n) blocks' worth",
    ([ref, n]) => {
      expect(paramCount(plan(ref, { _tag: "first", n }).target)).toBe(
        paramCount(ref) - (ref.nLayer - n) * blockParams(ref),
      );
    },
  );

  test.prop([arbSpec.chain((s) => fc.tuple(fc.constant(s), arbWeights(s)))])(
    "for any spec, inheriting all L blocks copies every tensor unchanged (the identity plan)",
    ([ref, w]) => {
      const p = plan(ref, { _tag: "first", n: ref.nLayer });
      expect(p.target).toEqual(ref);
      expect(inheritWeights(p, w)).toEqual(w);
      for (const e of p.entries) if (e.fate._tag === "inherit") expect(e.fate.from).toBe(e.target);
    },
  );

  test.prop([arbSpec.chain((s) => fc.tuple(fc.constant(s), arbWeights(s), arbSelection(s.nLayer)))])(
    "for any selection, the plan's target tensors have exactly the shapes the target spec says",
    ([ref, w, sel]) => {
      const p = plan(ref, sel);
      expect(weightProblems(p.target, inheritWeights(p, w))).toEqual([]);
      const named = new Set(p.entries.map((e) => e.target));
      for (const t of allTensors(p.target)) expect(named.has(t.name)).toBe(true);
    },
  );

  test.prop([arbSpec.chain((s) => fc.tuple(fc.constant(s), arbWeights(s), arbSelection(s.nLayer)))])(
    "for any selection, target block k holds the reference block the plan names, and the reference is untouched",
    ([ref, w, sel]) => {
      const frozenRef = structuredClone(ref),
        before = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.slice()]));
      const p = plan(Object.freeze(ref), sel);
      const tw = inheritWeights(p, w);
      p.blocks.forEach((j, k) => {
        for (const t of blockTensors(ref)) expect(tw[`h.${k}.${t.name}`]).toEqual(w[`h.${j}.${t.name}`]);
      });
      for (const v of Object.values(tw)) v.fill(0); // training the target must not reach the reference
      expect(ref).toEqual(frozenRef);
      expect(w).toEqual(before);
    },
  );

  test.prop([arbSpec, fc.integer({ min: 0, max: 3 })])(
    "a scratch plan keeps the shapes and initialises every stored tensor",
    (ref, extra) => {
      const p = scratchPlan(plan(ref, { _tag: "first", n: Math.min(ref.nLayer, 1 + extra) }));
      for (const e of p.entries) expect(["init", "tied"]).toContain(e.fate._tag);
    },
  );

  test.prop([arbSpec.chain((s) =>
    fc.tuple(
      fc.constant(s),
      fc.oneof(
        fc.integer({ min: s.nLayer + 1, max: s.nLayer + 10 }).map((n): Selection => ({ _tag: "first", n })),
        fc.constant<Selection>({ _tag: "first", n: 0 }),
        fc.constant<Selection>({ _tag: "blocks", indices: [] }),
        fc.integer({ min: 0, max: s.nLayer - 1 }).map((i): Selection => ({ _tag: "blocks", indices: [i, i] })),
        fc.integer({ min: s.nLayer, max: s.nLayer + 5 }).map((i): Selection => ({ _tag: "blocks", indices: [i] })),
      ),
    )
  )])("asking for too many, zero, no, repeated or missing blocks is a Left with a message", ([ref, sel]) => {
    const p = planInheritance(ref, sel);
    expect(E.isLeft(p)).toBe(true);
    if (E.isLeft(p)) expect(p.left.message).toMatch(/^Cannot inherit/);
  });
});

test("a tied LM head is recorded in the plan as tied to the token embedding", () => {
  const ref = {
    _tag: "gpt2",
    nLayer: 2,
    nEmbd: 4,
    nHead: 2,
    vocabSize: 5,
    blockSize: 4,
    nInner: 8,
    normEps: 1e-5,
  } as const;
  const p = plan(ref, { _tag: "first", n: 1 });
  expect(p.entries.find((e) => e.target === "lmhead")?.fate).toEqual({ _tag: "tied", to: "wte" });
  expect(numel([2, 3])).toBe(6);
});
