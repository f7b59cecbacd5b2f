import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { decodeHfConfig, encodeHfConfig, hfExportable } from "../../../core/codecs/hf_config.ts";
import { forward } from "../../../core/model/forward.ts";
import { chooseHeads, headImportance, narrowHeads } from "../../../core/surgery/heads.ts";
import { headDim, kvHeads, type ModelSpec, qDim, specProblems } from "../../../core/model/spec.ts";
import { blockName, weightProblems, type Weights } from "../../../core/model/tensors.ts";
import { arbHeadSizedSpec, arbHfLlamaSpec, arbTokens, arbWeights } from "../arbitraries.ts";

/** A head count the grouping allows: any 1..NH for MHA, a multiple of NKV under GQA. */
const arbHeads = (s: ModelSpec) =>
  kvHeads(s) < s.nHead
    ? fc.integer({ min: 1, max: s.nHead / kvHeads(s) }).map((m) => m * kvHeads(s))
    : fc.integer({ min: 1, max: s.nHead });
const caseOf = (s: ModelSpec) =>
  fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s), h: arbHeads(s) });
const arbCase = arbHeadSizedSpec.chain(caseOf);
/** Llamas with only the biases a config.json can say (core/codecs/hf_config.ts hfExportable), and any GPT-2. */
const arbSayableCase = fc.oneof(arbHeadSizedSpec.filter((s) => s._tag === "gpt2"), arbHfLlamaSpec).chain(caseOf);

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const pruned = (
  { s, w, batch: { B, T, tokens }, h }: {
    s: ModelSpec;
    w: Weights;
    batch: { B: number; T: number; tokens: Int32Array };
    h: number;
  },
) => {
  const keep = must(chooseHeads(s, headImportance(s, w, tokens, B, T), h));
  return { keep, ...must(narrowHeads(s, w, keep)) };
};

describe("pruning attention heads", () => {
  test.prop([arbCase])("for any model, keeping all NH heads is the identity", ({ s, w }) => {
    const all = Array.from({ length: s.nLayer }, () => Array.from({ length: s.nHead }, (_, h) => h));
    expect(must(narrowHeads(s, w, all))).toEqual({ spec: s, weights: w });
  });

  test.prop([arbCase])(
    "for any model and h, the pruned model's logits are the full model's with the dropped heads' outputs zeroed, bit for bit",
    (c) => {
      const { keep, spec, weights } = pruned(c);
      const { s, w, batch: { B, T, tokens } } = c,
        C = s.nEmbd,
        D = headDim(s),
        Q = qDim(s),
        proj = s._tag === "gpt2" ? "attprojw" : "wo";
      const zeroed = { ...w };
      keep.forEach((k, i) => {
        const m = w[blockName(i, proj)]!.slice();
        for (let r = 0; r < C; r++) for (let c = 0; c < Q; c++) if (!k.includes(Math.floor(c / D))) m[r * Q + c] = 0;
        zeroed[blockName(i, proj)] = m;
      });
      expect(forward(spec, weights, tokens, B, T).logits).toEqual(forward(s, zeroed, tokens, B, T).logits);
    },
  );

  test.prop([arbCase])(
    "for any model and h, the pruned spec is consistent, keeps the head width, has h·D attention width, and its weights fit it",
    (c) => {
      const { spec, weights } = pruned(c), { s, h } = c;
      expect(specProblems(spec)).toEqual([]);
      expect(weightProblems(spec, weights)).toEqual([]);
      expect([spec.nHead, headDim(spec), qDim(spec), spec.nEmbd]).toEqual([h, headDim(s), h * headDim(s), s.nEmbd]);
      expect(kvHeads(spec)).toBe(kvHeads(s) < s.nHead ? kvHeads(s) : h);
    },
  );

  test.prop([arbCase.filter(({ s }) => kvHeads(s) < s.nHead)])(
    "for any GQA model and h, every kv head keeps h / NKV query heads, the most important of its group",
    ({ s, w, batch: { B, T, tokens }, h }) => {
      const imp = headImportance(s, w, tokens, B, T), keep = must(chooseHeads(s, imp, h)), group = s.nHead / kvHeads(s);
      keep.forEach((k, i) => {
        for (let g = 0; g < kvHeads(s); g++) {
          const mine = k.filter((u) => Math.floor(u / group) === g);
          expect(mine).toHaveLength(h / kvHeads(s));
          const least = Math.min(...mine.map((u) => imp[i]![u]!));
          for (let u = g * group; u < (g + 1) * group; u++) {
            if (!mine.includes(u)) expect(imp[i]![u]).toBeLessThanOrEqual(least);
          }
        }
      });
    },
  );

  test.prop([arbHeadSizedSpec.filter((s) => s._tag === "llama" && kvHeads(s) > 1 && kvHeads(s) < s.nHead)])(
    "for any GQA model, a head count that is not a multiple of n_kv_head is refused, naming the grouping",
    (s) => {
      const r = chooseHeads(s, Array.from({ length: s.nLayer }, () => new Array(s.nHead).fill(1)), kvHeads(s) + 1);
      expect(E.isLeft(r) && r.left.message).toMatch(/each of the \d+ kv heads serves/);
    },
  );

  test.prop([arbSayableCase])(
    "for any model and h, a Llama's config.json carries head_dim and reads back as the same spec; a GPT-2 with pruned heads is refused by name",
    (c) => {
      const { spec } = pruned(c);
      if (spec._tag === "llama" || headDim(spec) * spec.nHead === spec.nEmbd) {
        expect(must(hfExportable(spec))).toBe(spec);
        const back = must(
          decodeHfConfig(JSON.parse(JSON.stringify(encodeHfConfig(spec, {}, "float32"))), "config.json"),
        );
        expect(headDim(back)).toBe(headDim(spec));
        expect(qDim(back)).toBe(qDim(spec));
      } else {
        const r = hfExportable(spec);
        expect(E.isLeft(r) && r.left.message).toMatch(
          /^Cannot write a GPT-2 config\.json .*GPT2Config has no head_dim/,
        );
      }
    },
  );
});
