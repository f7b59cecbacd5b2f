/**
 * Packing (core/eval/pack.ts) loses nothing: for any requests, scoring the packed batches (a shared
 * row for an input that is a prefix of another, a group's prefix read once before each of its rows,
 * sorted queries) gives each request the same
 * loglikelihood and greedy flag as scoring it alone, under a model whose answer at a position depends
 * on every token before it (a hash of the prefix), so a query read from the wrong row or position fails.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { packBatches } from "../../../core/eval/pack.ts";
import type { TokenRequest } from "../../../core/eval/encode_pair.ts";

/** A "model": log p(target | prefix) = −(hash of prefix and target mod 97) / 10; greedy when the hash is even. */
const hash = (prefix: ArrayLike<number>, target: number): number => {
  let h = 17;
  for (let i = 0; i < prefix.length; i++) h = (h * 31 + prefix[i]! + 1) % 1_000_003;
  return (h * 31 + target) % 97;
};

const alone = (r: TokenRequest) => {
  let ll = 0, greedy = true;
  r.cont.forEach((t, j) => {
    const h = hash(r.input.subarray(0, r.input.length - r.cont.length + j + 1), t);
    ll += -h / 10;
    greedy &&= h % 2 === 0;
  });
  return { ll, greedy };
};

const arbRequests = fc.array(
  fc.tuple(
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 10 }),
    fc.integer({ min: 0, max: 3 }),
  ).map(([input, k]): TokenRequest => {
    const contLen = Math.min(k, input.length);
    return { input: Int32Array.from(input), cont: Int32Array.from({ length: contLen }, (_, j) => (input[j] ?? 0) + 1) };
  }),
  { minLength: 1, maxLength: 14 },
);

describe("packing requests into batches", () => {
  test.prop([arbRequests, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 64 })])(
    "for any requests, rows and token budget, every request's packed score equals its score alone",
    (reqs, rows, maxTokens) => {
      const ll = new Float64Array(reqs.length), greedy = reqs.map(() => true);
      for (const b of packBatches(reqs, { rows, maxTokens })) {
        const rowsIn = b.groups.flatMap((g) => g.rows.map((row) => ({ prefix: g.prefix, row })));
        expect(b.rowStart.length).toBe(rowsIn.length + 1);
        expect(rowsIn.length <= rows || b.groups.length === 1).toBe(true);
        expect(b.tokens <= maxTokens || b.groups.length === 1).toBe(true);
        rowsIn.forEach(({ prefix, row }, r) => {
          for (let q = b.rowStart[r]!; q < b.rowStart[r + 1]!; q++) {
            const p = b.queries[2 * q]!;
            if (q > b.rowStart[r]!) expect(p).toBeGreaterThanOrEqual(b.queries[2 * (q - 1)]!);
            expect(p).toBeGreaterThanOrEqual(prefix.length);
            expect(p).toBeLessThan(prefix.length + row.length);
            const h = hash([...prefix, ...row].slice(0, p + 1), b.queries[2 * q + 1]!);
            ll[b.owner[q]!] = ll[b.owner[q]!]! - h / 10;
            greedy[b.owner[q]!] &&= h % 2 === 0;
          }
        });
      }
      reqs.forEach((r, i) => {
        expect(ll[i]).toBeCloseTo(alone(r).ll, 9);
        expect(greedy[i]).toBe(alone(r).greedy);
      });
    },
  );

  test("requests with the same input share one row: the context is scored once", () => {
    const ctx = [5, 6, 7];
    const reqs = [1, 2, 3, 4].map((c): TokenRequest => ({ input: Int32Array.from(ctx), cont: Int32Array.of(c) }));
    const [b, ...rest] = packBatches(reqs, { rows: 8, maxTokens: 1024 });
    expect(rest).toEqual([]);
    expect(b!.groups.map((g) => [g.prefix.length, g.rows.length])).toEqual([[0, 1]]);
    expect(Array.from(b!.queries)).toEqual([2, 1, 2, 2, 2, 3, 2, 4]);
  });

  test("choices after a long shared context read it once, as a prefix that stops before the first query", () => {
    const ctx = Array.from({ length: 40 }, (_, i) => 1 + (i % 7));
    const reqs = [[9, 8], [7, 6, 5], [4, 3]].map((c): TokenRequest => ({
      input: Int32Array.from([...ctx, ...c.slice(0, -1)]),
      cont: Int32Array.from(c),
    }));
    const [b, ...rest] = packBatches(reqs, { rows: 8, maxTokens: 1024 });
    expect(rest).toEqual([]);
    expect(b!.groups.map((g) => [g.prefix.length, g.rows.map((r) => r.length)])).toEqual([[39, [2, 3, 2]]]); // rows in lexicographic order
    expect(b!.tokens).toBe(39 + 2 + 3 + 2);
  });

  test("rows sharing a short prefix, and lone rows, are read whole", () => {
    const reqs = [[1, 2, 3, 4], [1, 2, 3, 5]].map((input): TokenRequest => ({
      input: Int32Array.from(input),
      cont: Int32Array.of(9),
    }));
    const [b] = packBatches(reqs, { rows: 8, maxTokens: 1024 });
    expect(b!.groups.map((g) => g.prefix.length)).toEqual([0, 0]);
  });
});
