/**
 * The packed layout (core/eval/packed_layout.ts) and attention over its spans (core/ops/attention/attention.ts)
 * read each row as its own sequence: for any groups (a prefix, possibly empty, and rows), any cap on a group's
 * and on a pass's positions, every pass holds at most its cap (or one sub-group that alone is longer), each
 * position its token and its place in prefix + row, each query sits at its row's index, and span attention over
 * the pass gives at every row position what causal attention (core/ops/attention/attention.ts, an independent
 * per-sequence reference) gives at that position of prefix + row, within 1e-12 relative in float64 (the same
 * terms, summed in another order).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { PrefixGroup } from "../../../core/eval/pack.ts";
import { layoutPasses } from "../../../core/eval/packed_layout.ts";
import { wholeRow } from "../../../core/eval/scorer.ts";
import { causalAttention, spanAttention } from "../../../core/ops/attention/attention.ts";

const tokens = (n: number) => fc.array(fc.integer({ min: 0, max: 99 }), { minLength: n, maxLength: n });
const arbGroup: fc.Arbitrary<PrefixGroup> = fc.integer({ min: 0, max: 6 }).chain((p) =>
  fc.record({
    prefix: tokens(p).map((t) => Int32Array.from(t)),
    rows: fc.array(fc.integer({ min: 1, max: 6 }).chain((n) => tokens(n).map((t) => Int32Array.from(t))), {
      minLength: 1,
      maxLength: 4,
    }),
  })
);
const arbCase = fc.record({
  groups: fc.array(arbGroup, { minLength: 1, maxLength: 5 }),
  groupTokens: fc.integer({ min: 1, max: 20 }),
  passTokens: fc.integer({ min: 1, max: 40 }),
  heads: fc.constantFrom({ NH: 1, NKV: 1 }, { NH: 2, NKV: 1 }, { NH: 4, NKV: 2 }),
  D: fc.integer({ min: 1, max: 4 }),
  seed: fc.nat(1 << 20),
});

/** Queries at every position of every row: (position in prefix + row, a target from the token). */
const everyPosition = (groups: ReadonlyArray<PrefixGroup>) => {
  const qs: number[] = [], rowStart = [0];
  for (const g of groups) {
    for (const r of g.rows) {
      r.forEach((t, j) => qs.push(g.prefix.length + j, t));
      rowStart.push(qs.length / 2);
    }
  }
  return { groups, queries: Int32Array.from(qs), rowStart: Int32Array.from(rowStart) };
};

/** q, k, v rows of a token at a position: a deterministic function of both (as a model's projections are). */
const features = (tok: number, pos: number, width: number, seed: number, which: number) =>
  Float64Array.from({ length: width }, (_, c) => Math.sin(seed + 1.7 * tok + 0.31 * pos + 2.3 * c + 5.1 * which));

const project = (toks: ArrayLike<number>, pos: ArrayLike<number>, width: number, seed: number, which: number) => {
  const out = new Float64Array(toks.length * width);
  for (let i = 0; i < toks.length; i++) out.set(features(toks[i]!, pos[i]!, width, seed, which), i * width);
  return out;
};

describe("the packed layout and attention over its spans", () => {
  test.prop([arbCase], { numRuns: 200 })(
    "for any groups and caps, each pass keeps its cap and each row position attends as in its own prefix + row",
    ({ groups, groupTokens, passTokens, heads: { NH, NKV }, D, seed }) => {
      const b = everyPosition(groups), passes = layoutPasses(b, { groupTokens, passTokens });
      const longest = Math.max(groupTokens, ...groups.flatMap((g) => g.rows.map((r) => g.prefix.length + r.length)));
      expect(passes.map((p) => p.q0)).toEqual([0, ...passes.slice(0, -1).map((p) => p.q1)]);
      expect(passes[passes.length - 1]!.q1).toBe(b.queries.length / 2);
      for (const p of passes) expect(p.tokens.length).toBeLessThanOrEqual(Math.max(passTokens, longest));
      const sh = { nHead: NH, nKvHead: NKV, headDim: D };
      const perPass = passes.map((p) => {
        const T = p.tokens.length,
          [q, k, v] = [0, 1, 2].map((w) => project(p.tokens, p.positions, (w === 0 ? NH : NKV) * D, seed, w));
        return spanAttention(q!, k!, v!, p.spans, { T, ...sh });
      });
      let r = 0;
      for (const g of groups) {
        for (const row of g.rows) {
          const seq = wholeRow(g.prefix, row), T = seq.length, pos = Int32Array.from(seq, (_, i) => i);
          const [q, k, v] = [0, 1, 2].map((w) => project(seq, pos, (w === 0 ? NH : NKV) * D, seed, w));
          const want = causalAttention(q!, k!, v!, { T, pos0: 0, ...sh });
          for (let qi = b.rowStart[r]!; qi < b.rowStart[r + 1]!; qi++) {
            const j = passes.findIndex((p) => qi >= p.q0 && qi < p.q1), p = passes[j]!, at = p.at[qi - p.q0]!;
            const position = b.queries[2 * qi]!;
            expect(p.tokens[at]).toBe(seq[position]);
            expect(p.positions[at]).toBe(position);
            for (let c = 0; c < NH * D; c++) {
              const got = perPass[j]![at * NH * D + c]!, w = want[position * NH * D + c]!;
              expect(Math.abs(got - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
            }
          }
          r++;
        }
      }
    },
  );
});
