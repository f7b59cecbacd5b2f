/**
 * Subsets chosen by document (core/select/select_docs.ts): every strategy fills exactly the budget
 * with whole documents (the last one cut) in sorted disjoint ranges; the low band holds the lowest
 * scores and the high band the highest; the token-weighted mean score orders low ≤ random ≤ high for
 * any seed (the fractional-knapsack argument in the module); dedup keeps one document per text hash.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { type DocTable, selectDocuments, STRATEGIES, type Strategy } from "../../../core/select/select_docs.ts";
import { docRequest } from "../../../core/select/doc_requests.ts";
import { textHash } from "../../../core/select/doc_hash.ts";
import { rangeTokens } from "../../../core/train/token_shards.ts";

/** Documents laid end to end (lengths ≥ 1), hashes from a few values (so duplicates occur), scores. */
const arbTable = fc.array(
  fc.record({
    len: fc.integer({ min: 1, max: 40 }),
    hash: fc.integer({ min: 0, max: 5 }),
    score: fc.double({ min: 0, max: 10, noNaN: true }),
  }),
  { minLength: 1, maxLength: 30 },
).map((ds): DocTable & { total: number } => {
  const starts: number[] = [], ends: number[] = [];
  let at = 0;
  for (const d of ds) starts.push(at), ends.push(at += d.len);
  return { starts, ends, hashes: ds.map((d) => d.hash), scores: ds.map((d) => d.score), total: at };
});
const arbCase = arbTable.chain((t) =>
  fc.record({ t: fc.constant(t), budget: fc.integer({ min: 1, max: t.total + 10 }), seed: fc.nat() })
);
const arbStrategy = fc.constantFrom(...STRATEGIES);
const pick = (t: DocTable, budget: number, strategy: Strategy, seed = 0, dedup = false) =>
  selectDocuments(t, { strategy, budget, seed, dedup });

describe("subsets chosen by document", () => {
  test.prop([arbCase, arbStrategy])(
    "for any documents and budget, a strategy takes exactly min(budget, all tokens) in sorted disjoint ranges",
    ({ t, budget, seed }, s) => {
      const r = pick(t, budget, s, seed);
      expect(r.tokens).toBe(Math.min(budget, t.total));
      expect(rangeTokens(r.ranges)).toBe(r.tokens);
      r.ranges.forEach(([a, b], i) => {
        expect(a).toBeLessThan(b);
        if (i > 0) expect(a).toBeGreaterThan(r.ranges[i - 1]![1]); // merged, so never touching
      });
      const cut = r.docs.filter((d) => !r.ranges.some(([a, b]) => a <= t.starts[d]! && t.ends[d]! <= b));
      expect(cut.length).toBeLessThanOrEqual(1); // only the last document taken may be cut
      if (cut.length === 1) expect(cut[0]).toBe(r.docs[r.docs.length - 1]);
    },
  );

  test.prop([arbCase])(
    "for any documents, no document outside the low band scores below one inside it",
    ({ t, budget }) => {
      const r = pick(t, budget, "ppl-low"), inside = new Set(r.docs), s = t.scores!;
      const maxIn = Math.max(...r.docs.map((d) => s[d]!));
      for (let d = 0; d < t.starts.length; d++) if (!inside.has(d)) expect(s[d]!).toBeGreaterThanOrEqual(maxIn);
      expect(r.band!.nll[1]).toBe(maxIn);
      expect(r.band!.quantiles[0]).toBe(0);
    },
  );

  test.prop([arbCase])(
    "for any documents, no document outside the high band scores above one inside it",
    ({ t, budget }) => {
      const r = pick(t, budget, "ppl-high"), inside = new Set(r.docs), s = t.scores!;
      const minIn = Math.min(...r.docs.map((d) => s[d]!));
      for (let d = 0; d < t.starts.length; d++) if (!inside.has(d)) expect(s[d]!).toBeLessThanOrEqual(minIn);
      expect(r.band!.quantiles[1]).toBe(1);
    },
  );

  test.prop([arbCase])(
    "for any documents, the mid band is a run of consecutive ranks holding the median",
    ({ t, budget }) => {
      const r = pick(t, budget, "ppl-mid"), s = t.scores!;
      const asc = [...Array(t.starts.length).keys()].sort((a, b) => s[a]! - s[b]! || a - b);
      const ranks = r.docs.map((d) => asc.indexOf(d)).sort((a, b) => a - b);
      expect(ranks[ranks.length - 1]! - ranks[0]!).toBe(ranks.length - 1);
      expect(ranks).toContain((asc.length - 1) >> 1);
    },
  );

  test.prop([arbCase])(
    "for any documents, budget and seed, the mean reference loss orders low ≤ mid-or-random ≤ high",
    ({ t, budget, seed }) => {
      const [low, mid, random, high] = (["ppl-low", "ppl-mid", "random", "ppl-high"] as const).map((s) =>
        pick(t, budget, s, seed).meanNll!
      );
      const eps = 1e-12 * 10; // sums of ≤ 30 products of doubles ≤ 10 in another order
      for (const x of [mid!, random!]) {
        expect(low!).toBeLessThanOrEqual(x + eps);
        expect(x).toBeLessThanOrEqual(high! + eps);
      }
    },
  );

  test.prop([arbCase, arbStrategy])(
    "for any documents, dedup keeps the first document of each hash and drops the rest before choosing",
    ({ t, budget, seed }, s) => {
      const r = pick(t, budget, s, seed, true), hashes = r.docs.map((d) => t.hashes![d]!);
      expect(new Set(hashes).size).toBe(hashes.length);
      for (const d of r.docs) expect(t.hashes![d]).not.toBe(undefined);
      for (const d of r.docs) for (let e = 0; e < d; e++) expect(t.hashes![e]).not.toBe(t.hashes![d]);
      expect(r.candidates + r.duplicates).toBe(t.starts.length);
      if (budget >= t.total) expect(r.docs.length).toBe(new Set(Array.from(t.hashes!)).size);
    },
  );

  test.prop([fc.string(), fc.string()])("for any two texts, equal texts hash equal", (a, b) => {
    expect(textHash(a) === textHash(b) || a !== b).toBe(true);
    expect(Number.isSafeInteger(textHash(a))).toBe(true);
  });

  test.prop([fc.array(fc.nat(50), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 8 })])(
    "for any document, its request predicts each next token of its first window after BOS",
    (doc, blockSize) => {
      const bos = 99, r = docRequest([bos, ...doc], bos, blockSize);
      expect(Array.from(r.cont)).toEqual(doc.slice(0, blockSize));
      expect(Array.from(r.input)).toEqual([bos, ...doc].slice(0, r.cont.length));
      const bare = docRequest(doc, bos, blockSize); // eos boundary: BOS is prepended as the context
      expect(Array.from(bare.cont)).toEqual(doc.slice(0, blockSize));
    },
  );
});
