/**
 * `tokenize` writes the same bytes however it is run: worker threads or this thread, tiny chunks,
 * buffers and read sizes or large ones. The worker entry is the bundle's (dist/tokenize_worker.mjs),
 * built first, as a user's `npm run build` makes it.
 */
import * as E from "fp-ts/lib/Either.js";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { listCorpus } from "../../../adapters/data/corpus.ts";
import { workerEncoder } from "../../../adapters/data/doc_encoder.ts";
import { tokenizeCorpus, type TokenizeOptions } from "../../../adapters/data/token_store.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../../../adapters/tokenizers/load.ts";
import { STORIES_TOK, TINY656K_DIR, TINYSTORIES_TEXT } from "../../assets.ts";
import { freshDir, right } from "../../tmp.ts";

const filesOf = (dir: string) => readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))] as const);

/** A corpus of two files: part of the bundled text as .txt and some of its paragraphs as .jsonl. */
const corpusDir = () => {
  const d = freshDir(), text = readFileSync(TINYSTORIES_TEXT, "utf8").slice(0, 60_000);
  writeFileSync(join(d, "a.txt"), text);
  const lines = text.split(/\n\s*\n/).slice(0, 40).map((t) => JSON.stringify({ text: t + " é 🤗" }));
  writeFileSync(join(d, "b.jsonl"), lines.join("\n") + "\n");
  return d;
};

const tokenizeWith = async (tokPath: string, extra: Partial<TokenizeOptions>, workers = 0) => {
  const files = right(await findTokenizerFiles(undefined, undefined, tokPath));
  const tok = right(await loadTokenizerFiles(files, undefined)());
  const encoder = workers > 0
    ? right(await workerEncoder({ files, vocabSize: undefined, boundary: "both" }, workers))
    : undefined;
  const out = join(freshDir(), "tokens"), corpus = right(await listCorpus(SRC));
  const made = await tokenizeCorpus(corpus, tok, out, {
    field: "text",
    split: "paragraph",
    boundary: "both",
    valFraction: 0.1,
    shardTokens: 5000,
    tokenizerSource: "tok",
    ...extra,
    encoder,
  })();
  await encoder?.close();
  expect(E.isRight(made)).toBe(true);
  return filesOf(out);
};

let SRC = "";
beforeAll(async () => {
  SRC = corpusDir();
}, 120_000);

describe("tokenize gives the same shards and manifest however it runs", () => {
  for (const [name, tok] of [["llama2.c tok512.bin", STORIES_TOK], ["tinystories656K tokenizer.json", TINY656K_DIR]]) {
    test(`${name}: two workers and one worker write byte for byte what this thread writes`, async () => {
      const alone = await tokenizeWith(tok!, { chunkChars: 3000 });
      expect(alone.length).toBeGreaterThan(3); // several shards and the manifest
      expect(await tokenizeWith(tok!, { chunkChars: 3000 }, 2)).toEqual(alone);
      expect(await tokenizeWith(tok!, { chunkChars: 3000 }, 1)).toEqual(alone);
    });
  }
  test("one-document chunks, a 7-token write buffer and 64-byte reads write what one large chunk writes", async () => {
    const big = await tokenizeWith(STORIES_TOK, { chunkChars: 1 << 30 });
    expect(await tokenizeWith(STORIES_TOK, { chunkChars: 1, bufferTokens: 7, readBytes: 64 })).toEqual(big);
    expect(await tokenizeWith(STORIES_TOK, { chunkChars: 1, bufferTokens: 7, readBytes: 64 }, 2)).toEqual(big);
  });
  test("a tokenizer the workers cannot load is one error, before anything is written", async () => {
    const d = freshDir(), bad = join(d, "tokenizer.json");
    writeFileSync(bad, "{}");
    const files = right(await findTokenizerFiles(undefined, undefined, bad));
    const r = await workerEncoder({ files, vocabSize: undefined, boundary: "bos" }, 2);
    expect(E.isLeft(r) && r.left.message).toMatch(/^Cannot start tokenizer workers: Cannot load tokenizer/);
  });
});
