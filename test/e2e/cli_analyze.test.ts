/**
 * `analyze` as a user runs it, on the CPU reference: the JSON names every block with its
 * measures, and `--exit-tokens` limits the early exits to the first windows it covers, none at 0 (and changes no
 * other measure: props/gpu/block_probe.test.ts holds the device to the CPU).
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir } from "../tmp.ts";

const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 200).join("\n\n") + "\n");
  return p;
})();
const analyze = async (...extra: string[]) => {
  const r = await runCli([
    "analyze",
    STORIES_BIN,
    "--data",
    excerpt,
    "--tokens",
    "800",
    "--ctx",
    "100",
    "--json",
    ...extra,
  ]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};

describe("analyze on the CPU reference", () => {
  test("--exit-tokens 300 measures early exits on the first 3 of 8 windows; the ranks do not depend on it", async () => {
    const all = await analyze("--backend", "cpu"), some = await analyze("--backend", "cpu", "--exit-tokens", "300");
    expect([all.sequences, all.blocks.length, all.seconds.exitSequences]).toEqual([8, 5, 8]);
    expect(some.seconds.exitSequences).toBe(3);
    expect(some.blocks.map((b: { headRanks: unknown }) => b.headRanks)).toEqual(
      all.blocks.map((b: { headRanks: unknown }) => b.headRanks),
    );
    expect(some.blocks[0].earlyExitLoss).not.toBe(all.blocks[0].earlyExitLoss);
  });

  test("--exit-tokens 0 measures no early exit (the loss is null) and the same ranks, shares and influences", async () => {
    const all = await analyze("--backend", "cpu"), none = await analyze("--backend", "cpu", "--exit-tokens", "0");
    expect(none.seconds.exitSequences).toBe(0);
    expect(none.blocks.map((b: { earlyExitLoss: unknown }) => b.earlyExitLoss)).toEqual(all.blocks.map(() => null));
    const rest = (r: { blocks: Array<Record<string, unknown>> }) =>
      r.blocks.map(({ earlyExitLoss: _, ...measures }) => measures);
    expect(rest(none)).toEqual(rest(all));
  });
});
