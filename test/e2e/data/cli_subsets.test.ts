/**
 * `tokenize` on the formats datasets ship in and `tokenize --select` / `compare --subsets` through
 * the CLI: Node and Deno read gzip, zstd and Parquet to the same shards (hyparquet and fzstd are
 * pure JS, so Deno runs them too); the reference's bands are recorded with their mean loss, low below
 * random below high; bad flags and a damaged file exit non-zero with one error line and no output.
 * The pool is 60k characters of the bundled TinyStories excerpt, so scoring takes seconds.
 * @module
 */
import { compress as zstdCompress, init as zstdInit } from "@bokuweb/zstd-wasm";
import { parquetWriteBuffer } from "hyparquet-writer";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, test } from "vitest";
import { STORIES_BIN, STORIES_TOK, TINYSTORIES_TEXT } from "../../assets.ts";
import { denoCli, nodeCli } from "../../runtimes.ts";
import { freshDir } from "../../tmp.ts";

const DOCS = readFileSync(TINYSTORIES_TEXT, "utf8").slice(0, 60_000).split(/\n\s*\n/).filter((d) => d.trim() !== "");
const JSONL = DOCS.map((text) => JSON.stringify({ text })).join("\n") + "\n";
let DIR = "";
const at = (f: string) => join(DIR, f);
const shardsOf = (dir: string) =>
  readdirSync(dir).filter((f) => f.endsWith(".tok")).sort().map((f) => readFileSync(join(dir, f)));
const tokenizeArgs = (corpus: string, out: string, ...more: string[]) => [
  "tokenize",
  corpus,
  "--tokenizer",
  STORIES_TOK,
  "--out",
  out,
  ...more,
  "--json",
];

beforeAll(async () => {
  await zstdInit();
  DIR = freshDir();
  writeFileSync(at("pool.jsonl.gz"), gzipSync(JSONL));
  writeFileSync(at("pool.jsonl.zst"), zstdCompress(new TextEncoder().encode(JSONL), 3));
  writeFileSync(
    at("pool.parquet"),
    new Uint8Array(
      parquetWriteBuffer({ columnData: [{ name: "text", data: DOCS, type: "STRING" }], rowGroupSize: 50 }),
    ),
  );
}, 120_000);

describe("tokenize reads the formats datasets ship in, under Node and Deno", () => {
  test("gzip JSONL under Node, zstd JSONL and Parquet under Deno give the same shards", async () => {
    const gz = join(freshDir(), "t"), zst = join(freshDir(), "t"), pq = join(freshDir(), "t");
    for (
      const [cli, src, out] of [[nodeCli, "pool.jsonl.gz", gz], [denoCli, "pool.jsonl.zst", zst], [
        denoCli,
        "pool.parquet",
        pq,
      ]] as const
    ) {
      const r = await cli(tokenizeArgs(at(src), out, "--workers", "0"));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).documents).toBe(DOCS.length);
    }
    expect(shardsOf(zst)).toEqual(shardsOf(gz));
    expect(shardsOf(pq)).toEqual(shardsOf(gz));
  });

  test("a damaged gzip file: one error naming it, a non-zero exit and no output directory", async () => {
    const gz = gzipSync(JSONL), out = join(freshDir(), "t");
    writeFileSync(at("cut.jsonl.gz"), gz.subarray(0, gz.length >> 1));
    const r = await nodeCli(tokenizeArgs(at("cut.jsonl.gz"), out));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/error: Cannot read .*cut\.jsonl\.gz: it is damaged \(gzip: /);
    expect(existsSync(out)).toBe(false);
  });
});

describe("subsets chosen by the reference", () => {
  test("ppl-low, random and ppl-high record their band and mean reference loss, low < random < high", async () => {
    const sel: Record<string, { mean_nll: number; band: { quantiles: number[] } | null; documents: number }> = {};
    for (const s of ["ppl-low", "random", "ppl-high", "dedup,ppl-mid"]) {
      const r = await nodeCli(
        tokenizeArgs(
          at("pool.jsonl.gz"),
          join(freshDir(), "t"),
          "--tokens",
          "6k",
          "--select",
          s,
          "--reference",
          STORIES_BIN,
        ),
      );
      expect(r.code, r.stderr).toBe(0);
      const m = JSON.parse(r.stdout);
      expect(m.subset.ranges.reduce((n: number, r: number[]) => n + r[1]! - r[0]!, 0)).toBe(6000);
      expect(m.subset.selection).toMatchObject({ reference: STORIES_BIN, scored_tokens: 512 });
      sel[s] = m.subset.selection;
    }
    expect(sel["ppl-low"]!.mean_nll).toBeLessThan(sel["random"]!.mean_nll);
    expect(sel["random"]!.mean_nll).toBeLessThan(sel["ppl-high"]!.mean_nll);
    expect(sel["ppl-low"]!.band!.quantiles[0]).toBe(0);
    expect(sel["ppl-high"]!.band!.quantiles[1]).toBe(1);
    expect(sel["random"]!.band).toBe(null);
    expect(sel["dedup,ppl-mid"]).toMatchObject({ strategy: "ppl-mid", dedup: true });
  });

  test("a band without a reference, or a strategy that does not exist, is refused before any work", async () => {
    for (
      const [flags, message] of [[["--select", "ppl-low"], /needs a budget/], [[
        "--tokens",
        "1k",
        "--select",
        "ppl-low",
      ], /ranks documents by a reference/], [
        ["--tokens", "1k", "--select", "ppl-best"],
        /not one of random, ppl-low/,
      ]] as const
    ) {
      const out = join(freshDir(), "t"), r = await nodeCli(tokenizeArgs(at("pool.jsonl.gz"), out, ...flags));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });

  test("compare --subsets trains the same target on each subset and reports the subsets' losses", async () => {
    const out = join(freshDir(), "cmp");
    const r = await nodeCli([
      "compare",
      STORIES_BIN,
      "--layers",
      "3",
      "--subsets",
      "random,ppl-low",
      "--data",
      at("pool.jsonl.gz"),
      "--subset-tokens",
      "4k",
      "--tokens",
      "2k",
      "--batch",
      "4",
      "--ctx",
      "64",
      "--eval-tokens",
      "2k",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(rep.arms.map((a: { name: string }) => a.name)).toEqual(["random", "ppl-low"]);
    expect(rep.subsets["ppl-low"].mean_nll).toBeLessThan(rep.subsets["random"].mean_nll);
    expect(rep.arms[0].blocks).toEqual(rep.arms[1].blocks);
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/\| ppl-low \| \d+ \| \d\.\d{4} \|/);
    expect(existsSync(join(out, "curves.svg"))).toBe(true);
  });
});
