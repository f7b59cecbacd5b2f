/**
 * Corpora in the formats datasets ship in (adapters/data/corpus.ts): gzip and zstd JSONL, gzip text
 * and Parquet (snappy and zstd pages, several row groups, an extra column) tokenize to the very
 * shards the same documents give as plain .jsonl or .txt; globs pick the files they name; a damaged
 * file gets one error naming the file and where it broke, and no output directory is left behind.
 * Fixtures are made here: gzip by node:zlib, zstd by @bokuweb/zstd-wasm, Parquet by hyparquet-writer.
 * @module
 */
import { compress as zstdCompress, init as zstdInit } from "@bokuweb/zstd-wasm";
import * as E from "fp-ts/lib/Either.js";
import { parquetWriteBuffer } from "hyparquet-writer";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, test } from "vitest";
import { listCorpus } from "../../../adapters/data/corpus.ts";
import { globRegex } from "../../../adapters/data/corpus_files.ts";
import { tokenizeCorpus } from "../../../adapters/data/token_store.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../../../adapters/tokenizers/load.ts";
import { STORIES_TOK, TINYSTORIES_TEXT } from "../../assets.ts";
import { freshDir, right } from "../../tmp.ts";

const TEXT = readFileSync(TINYSTORIES_TEXT, "utf8").slice(0, 30_000);
const DOCS = TEXT.split(/\n\s*\n/).filter((d) => d.trim() !== "").map((d, i) => (i % 5 === 0 ? `${d} é 🤗\r\nend` : d));
const JSONL = DOCS.map((text, i) => JSON.stringify({ id: i, text })).join("\n") + "\n";
const zstd = (b: Uint8Array) => new Uint8Array(zstdCompress(b, 3));

const parquet = (codec: "SNAPPY" | "ZSTD", texts: ReadonlyArray<string | null> = DOCS) =>
  new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "url", data: texts.map((_, i) => `https://example.org/${i}`), type: "STRING" },
      { name: "text", data: [...texts], type: "STRING" },
    ],
    rowGroupSize: 7,
    codec,
    compressors: { ZSTD: zstd },
  }));

let DIR = "";
const write = (name: string, bytes: Uint8Array | string) => (writeFileSync(join(DIR, name), bytes), join(DIR, name));

beforeAll(async () => {
  await zstdInit();
  DIR = freshDir();
  const j = new TextEncoder().encode(JSONL);
  write("docs.jsonl", JSONL);
  write("docs.jsonl.gz", new Uint8Array([...gzipSync(j.subarray(0, 5000)), ...gzipSync(j.subarray(5000))])); // two members
  write("docs.jsonl.zst", new Uint8Array([...zstd(j.subarray(0, 7000)), ...zstd(j.subarray(7000))])); // two frames
  write("dolma.json.gz", gzipSync(j));
  write("snappy.parquet", parquet("SNAPPY"));
  write("zstd.parquet", parquet("ZSTD"));
  write("text.txt", TEXT);
  write("text.txt.gz", gzipSync(TEXT));
  write("text.txt.zst", zstd(new TextEncoder().encode(TEXT)));
});

/** Every shard's bytes and the manifest's counts, for a corpus path; or the error. */
const tokenize = async (path: string) => {
  const tok = right(
    await loadTokenizerFiles(right(await findTokenizerFiles(undefined, undefined, STORIES_TOK)), undefined)(),
  );
  const corpus = await listCorpus(path);
  if (E.isLeft(corpus)) return corpus;
  const out = join(freshDir(), "tokens");
  const made = await tokenizeCorpus(corpus.right, tok, out, {
    field: "text",
    split: "paragraph",
    boundary: "bos",
    valFraction: 0.1,
    shardTokens: 3000,
    tokenizerSource: "tok",
    readBytes: 257, // small reads, so lines, UTF-8 characters and \r\n cross chunk boundaries
  })();
  if (E.isLeft(made)) return E.left({ ...made.left, outLeft: existsSync(out) });
  const shards = readdirSync(out).filter((f) => f.endsWith(".tok")).sort().map((f) => readFileSync(join(out, f)));
  return E.right({ shards, documents: made.right.documents, tokens: made.right.total_tokens });
};

describe("corpora in the formats datasets ship in", () => {
  test("gzip, zstd (several members and frames), Dolma's .json.gz and Parquet give the tokens of the same .jsonl", async () => {
    const plain = right(await tokenize(join(DIR, "docs.jsonl")));
    expect(plain.documents).toBe(DOCS.length);
    for (const f of ["docs.jsonl.gz", "docs.jsonl.zst", "dolma.json.gz", "snappy.parquet", "zstd.parquet"]) {
      expect(right(await tokenize(join(DIR, f))), f).toEqual(plain);
    }
  });

  test("gzip and zstd text files give the tokens of the same .txt", async () => {
    const plain = right(await tokenize(join(DIR, "text.txt")));
    expect(right(await tokenize(join(DIR, "text.txt.gz")))).toEqual(plain);
    expect(right(await tokenize(join(DIR, "text.txt.zst")))).toEqual(plain);
  });

  test("a glob names the files it matches, sorted, and a directory lists every kind", async () => {
    expect(right(await listCorpus(join(DIR, "*.parquet"))).files).toEqual([
      join(DIR, "snappy.parquet"),
      join(DIR, "zstd.parquet"),
    ]);
    expect(right(await listCorpus(join(DIR, "docs.jsonl.*"))).files.length).toBe(2);
    expect(right(await listCorpus(DIR)).files.length).toBe(9);
    const none = await listCorpus(join(DIR, "*.csv"));
    expect(E.isLeft(none) && none.left.message).toMatch(/holds no \.txt, \.jsonl or \.parquet file/);
  });
});

test("a glob's * and ? stay inside a path segment and ** crosses any number of them", () => {
  const matches = (p: string, xs: string[]) => xs.filter((x) => globRegex(p).test(x));
  expect(matches("**/*.parquet", ["a.parquet", "x/y/a.parquet", "a.jsonl"])).toEqual(["a.parquet", "x/y/a.parquet"]);
  expect(matches("data/**", ["data/a", "data/b/c", "dat/a"])).toEqual(["data/a", "data/b/c"]);
  expect(matches("c?.jsonl.gz", ["c1.jsonl.gz", "c12.jsonl.gz"])).toEqual(["c1.jsonl.gz"]);
  expect(matches("a/*/b.txt", ["a/x/b.txt", "a/x/y/b.txt", "a/x.b.txt"])).toEqual(["a/x/b.txt"]);
});

describe("a damaged file gets one error naming it and where it broke, and nothing is written", () => {
  const fails = async (name: string, bytes: Uint8Array | string, message: RegExp) => {
    const r = await tokenize(write(name, bytes));
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left.message).toMatch(message);
      expect(r.left.message).toContain(name);
      expect("outLeft" in r.left && r.left.outLeft).toBe(false);
    }
  };
  const gz = gzipSync(JSONL), zs = () => zstd(new TextEncoder().encode(JSONL)); // zstd after init
  const flipped = (b: Uint8Array, at: number) => b.map((x, i) => (i >= at && i < at + 8 ? x ^ 0x5a : x));

  test("a truncated gzip file", () =>
    fails("cut.jsonl.gz", gz.subarray(0, gz.length >> 1), /damaged \(gzip: .*\) at byte [\d,]+ /));
  // fzstd checks the frame's structure, not its optional checksum (zstd-wasm writes none): garbage
  // that still decodes is caught where it stops being JSON.
  test("a zstd file with corrupted bytes", () =>
    fails("bad.jsonl.zst", flipped(zs(), zs().length >> 1), /damaged \(zstd: .*\) at byte|line \d+: it is not a JSON/));
  test("a truncated zstd file", () => fails("cut.jsonl.zst", zs().subarray(0, zs().length - 20), /damaged \(zstd: /));
  test("a gzip JSONL line that is not JSON", () =>
    fails("line.jsonl.gz", gzipSync('{"text":"a"}\n{"text":\n'), /line 2: it is not a JSON object/));
  test("a truncated Parquet file", () => {
    const p = parquet("SNAPPY");
    return fails("cut.parquet", p.subarray(0, p.length - 100), /footer cannot be read/);
  });
  test("a Parquet file with a corrupted row group", () => {
    const p = parquet("ZSTD");
    return fails("bad.parquet", flipped(p, 200), /row group \d+ \(rows \d+–\d+\): it cannot be decoded/);
  });
  test("a Parquet row whose text is null", () =>
    fails("null.parquet", parquet("SNAPPY", ["a", "b", null, "d"]), /row 2: its "text" is null/));
  test("a Parquet file without the field", () =>
    fails(
      "nofield.parquet",
      new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "body", data: ["x"], type: "STRING" }] })),
      /no column "text" \(columns: body\)/,
    ));
});
