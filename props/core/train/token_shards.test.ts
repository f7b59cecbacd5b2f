import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { listCorpus } from "../../../adapters/data/corpus.ts";
import { loadLlama2cTokenizer } from "../../../adapters/tokenizers/llama2c.ts";
import { loadManifest, readTokens, tokenizeCorpus } from "../../../adapters/data/token_store.ts";
import {
  decodeShardHeader,
  encodeShardHeader,
  rangeTokens,
  selectSubset,
  validationStart,
} from "../../../core/train/token_shards.ts";
import { STORIES_TOK } from "../../../test/assets.ts";
import { freshDir, right } from "../../../test/tmp.ts";

const arbSubsetCase = fc.record({
  train: fc.integer({ min: 0, max: 60_000 }),
  budget: fc.integer({ min: 1, max: 80_000 }),
  seed: fc.nat(),
  chunk: fc.integer({ min: 1, max: 9000 }),
});

describe("subsets and the validation split", () => {
  test.prop([arbSubsetCase], { numRuns: 150 })(
    "for any training size, budget, seed and chunk, the same inputs select the same ranges, sorted, disjoint, inside training, totalling min(budget, train)",
    ({ train, budget, seed, chunk }) => {
      const a = selectSubset(train, budget, seed, chunk);
      expect(selectSubset(train, budget, seed, chunk)).toEqual(a);
      expect(rangeTokens(a)).toBe(Math.min(budget, train));
      a.forEach(([s, e], i) => {
        expect(0 <= s && s < e && e <= train).toBe(true);
        if (i > 0) expect(s).toBeGreaterThan(a[i - 1]![1]); // merged where adjacent, so strictly apart
      });
    },
  );
  test.prop([
    fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 50 }),
    fc.double({ min: 0, max: 0.99, noNaN: true }),
    arbSubsetCase,
  ])(
    "for any documents and validation share, validation starts at a document start (or the cut) and no subset token lies in it",
    (lengths, f, { budget, seed, chunk }) => {
      const starts = lengths.reduce<number[]>((acc, _, i) => [...acc, i === 0 ? 0 : acc[i - 1]! + lengths[i - 1]!], []);
      const total = lengths.reduce((a, b) => a + b, 0), v = validationStart(starts, total, f);
      expect(v).toBeLessThanOrEqual(total);
      if (f > 0) expect(v >= Math.floor(total * (1 - f))).toBe(true);
      if (f > 0 && v < total && v !== Math.floor(total * (1 - f))) expect(starts).toContain(v);
      for (const [, e] of selectSubset(v, budget, seed, chunk)) expect(e).toBeLessThanOrEqual(v);
    },
  );
  test.prop([fc.constantFrom<2 | 4>(2, 4), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: -4, max: 4 })])(
    "for any width and count, a shard header reads back, and a file of the wrong length is refused",
    (w, n, delta) => {
      const r = decodeShardHeader(encodeShardHeader(w, n), 32 + n * w + delta, "s.tok");
      if (delta === 0) expect(r).toEqual(E.right({ width: w, count: n }));
      else expect(E.isLeft(r)).toBe(true);
    },
  );
});

const arbDocs = fc.array(fc.stringMatching(/^[a-z ,.!]{1,40}$/).filter((s) => s.trim() !== ""), {
  minLength: 1,
  maxLength: 30,
});

describe("tokenizing a corpus into shards", () => {
  test.prop([arbDocs, fc.integer({ min: 3, max: 50 }), fc.boolean()], { numRuns: 20 })(
    "for any documents (as .txt paragraphs or .jsonl lines, in a directory) and shard size, the shards read back as BOS + encode(doc) in order, split at a document start",
    async (docs, shardTokens, jsonl) => {
      const tok = right(await loadLlama2cTokenizer(STORIES_TOK, 512)());
      const d = freshDir(), src = join(d, "src");
      mkdirSync(join(src, "sub"), { recursive: true });
      const half = Math.ceil(docs.length / 2), parts = [docs.slice(0, half), docs.slice(half)];
      parts.forEach((p, i) =>
        writeFileSync(
          join(src, i === 0 ? "a" : "sub/b") + (jsonl ? ".jsonl" : ".txt"),
          jsonl ? p.map((text) => JSON.stringify({ text, other: 1 })).join("\n") : p.join("\n\n") + "\n",
        )
      );
      const corpus = right(await listCorpus(src));
      const m = right(
        await tokenizeCorpus(corpus, tok, join(d, "out"), {
          field: "text",
          split: "paragraph",
          boundary: "bos",
          valFraction: 0.25,
          shardTokens,
          tokenizerSource: STORIES_TOK,
        })(),
      );
      expect(right(await loadManifest(join(d, "out"))())).toEqual(m);
      const want = docs.flatMap((s) => tok.encode(s, { bos: true, eos: false }));
      const got: number[] = [];
      for await (const c of readTokens(join(d, "out"), m, [[0, m.total_tokens]], 7)) got.push(...right(c));
      expect(got).toEqual(want);
      expect(m.documents).toBe(docs.length);
      expect(m.shards.length).toBe(Math.ceil(want.length / shardTokens));
      expect(
        want[m.split.val[0]] === tok.bos || m.split.val[0] === m.total_tokens ||
          m.split.val[0] === Math.floor(m.total_tokens * 0.75),
      ).toBe(true);
    },
  );
});
