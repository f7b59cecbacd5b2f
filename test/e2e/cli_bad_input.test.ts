/**
 * Every command given a missing file, a folder that is not a model, --layers 0 or 9 on a 5-block
 * model, or a corpus smaller than one context window: one `error:` line and one hint, non-zero exit.
 * Run in-process (the CPU backend where a backend is asked for), so they cost milliseconds.
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir } from "../tmp.ts";

const dir = freshDir();
const tiny = join(dir, "tiny.txt");
writeFileSync(tiny, "Once upon a time.\n");
const notModel = freshDir();
writeFileSync(join(notModel, "notes.txt"), "hello");
const missing = join(dir, "missing.bin");
const out = () => join(freshDir(), "out");

const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
  ["sample, a missing model", ["sample", missing], /no such file/],
  ["inspect, a folder that is not a model", ["inspect", notModel], /Cannot/],
  [
    "inherit, --layers 0",
    ["inherit", STORIES_BIN, "--layers", "0", "--out", "X"],
    /Cannot inherit the first 0 blocks: the reference has 5 blocks/,
  ],
  [
    "inherit, --layers 9 on a 5-block model",
    ["inherit", STORIES_BIN, "--layers", "9", "--out", "X"],
    /Cannot inherit the first 9 blocks: the reference has 5 blocks/,
  ],
  [
    "train, a missing model",
    ["train", missing, "--data", TINYSTORIES_TEXT, "--out", "X", "--backend", "cpu"],
    /no such file/,
  ],
  [
    "train, a missing corpus",
    ["train", STORIES_BIN, "--data", join(dir, "none.txt"), "--out", "X", "--backend", "cpu"],
    /Cannot/,
  ],
  ["train, --layers 9", [
    "train",
    STORIES_BIN,
    "--layers",
    "9",
    "--data",
    TINYSTORIES_TEXT,
    "--out",
    "X",
    "--backend",
    "cpu",
  ], /the reference has 5 blocks/],
  ["train, a corpus smaller than one context window", [
    "train",
    STORIES_BIN,
    "--layers",
    "3",
    "--data",
    tiny,
    "--out",
    "X",
    "--backend",
    "cpu",
  ], /Cannot/],
  ["eval, a folder that is not a model", ["eval", notModel, "--data", TINYSTORIES_TEXT, "--backend", "cpu"], /Cannot/],
  ["compare, --layers 0", [
    "compare",
    STORIES_BIN,
    "--layers",
    "0",
    "--data",
    TINYSTORIES_TEXT,
    "--out",
    "X",
    "--backend",
    "cpu",
  ], /the reference has 5 blocks/],
  ["compare, a missing reference", [
    "compare",
    missing,
    "--layers",
    "3",
    "--data",
    TINYSTORIES_TEXT,
    "--out",
    "X",
    "--backend",
    "cpu",
  ], /no such file/],
  ["grow, a corpus smaller than one context window", [
    "grow",
    STORIES_BIN,
    "--data",
    tiny,
    "--tokens-per-round",
    "1k",
    "--out",
    "X",
    "--backend",
    "cpu",
  ], /Cannot/],
  ["bench, an unknown --scale-models name", ["bench", "--scale-models", "gpt2-124m,gpt5"], /no scale model gpt5/],
];

describe("bad input gets one clear line and a non-zero exit", () => {
  for (const [name, argv, why] of cases) {
    test(name, async () => {
      const r = await runCli(argv.map((a) => (a === "X" ? out() : a)));
      expect(r.code).not.toBe(0);
      const lines = r.err.trimEnd().split("\n").filter((l) => !l.startsWith("note: "));
      expect(lines, r.err).toHaveLength(2);
      expect(lines[0]).toMatch(/^error: Cannot /);
      expect(lines[0]).toMatch(why);
      expect(lines[1]).toMatch(/^---> HINT: /);
    });
  }
});
