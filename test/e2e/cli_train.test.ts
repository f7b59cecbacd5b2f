/**
 * `train` and `eval` in-process on the CPU backend: the inherited stories260K target (first 3 of
 * 5 blocks) trained for a few steps on an excerpt of the bundled TinyStories text lowers its
 * validation loss, prints JSON lines with the summary last, and `eval` of the saved model agrees;
 * bad input is one error line with its hint and a non-zero exit.
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir } from "../tmp.ts";

/** The first 300 paragraphs of the bundled text: about 27k tokens, so each command takes a second or two. */
const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 300).join("\n\n") + "\n");
  return p;
})();
const oneError = (r: { code: number; out: string; err: string }, why: RegExp) => {
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/^error: .*\n---> HINT: .*\n$/);
  expect(r.err.split("\n")[0]).toMatch(why);
};

describe("train and eval on the CPU", () => {
  test("train --layers 3 --backend cpu --json: metrics lines, a summary last, a lower validation loss, and eval of the result agrees", async () => {
    const out = join(freshDir(), "run");
    const r = await runCli([
      "train",
      STORIES_BIN,
      "--layers",
      "3",
      "--data",
      excerpt,
      "--out",
      out,
      "--backend",
      "cpu",
      "--steps",
      "4",
      "--batch",
      "4",
      "--ctx",
      "64",
      "--eval-every",
      "2",
      "--json",
    ]);
    expect(r.err).toBe("");
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary).toMatchObject({
      steps: 4,
      tokens: 4 * 4 * 64,
      out,
      backend: "cpu",
      train_loss: expect.any(Number),
      tokens_per_s: expect.any(Number),
    });
    expect(summary.val_loss).toBeLessThan(summary.val_loss_initial);
    expect(lines.slice(0, -1).map((m) => [m.step, m.val_loss === null])).toEqual([[0, false], [1, true], [2, false], [
      3,
      true,
    ], [4, false]]);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))).toEqual(
      lines.slice(0, -1),
    );
    const e = await runCli([
      "eval",
      summary.model,
      "--data",
      excerpt,
      "--ctx",
      "64",
      "--batch",
      "4",
      "--backend",
      "cpu",
      "--json",
    ]);
    expect(e.err).toBe("");
    expect(JSON.parse(e.out)).toMatchObject({
      loss: expect.closeTo(summary.val_loss, 9),
      perplexity: expect.closeTo(Math.exp(summary.val_loss), 6),
      tokens: expect.any(Number),
    });
    const again = await runCli([
      "train",
      STORIES_BIN,
      "--layers",
      "3",
      "--data",
      excerpt,
      "--out",
      out,
      "--backend",
      "cpu",
      "--steps",
      "4",
    ]);
    oneError(again, /it holds an earlier run/);
  });
  test("a missing corpus, a corpus smaller than one window, --layers 9 of 5 blocks, or --tokens with --steps: one error line and a non-zero exit", async () => {
    const tiny = join(freshDir(), "tiny.txt");
    writeFileSync(tiny, "Once upon a time.\n\nThe end.\n");
    const base = (
      data: string,
      ...more: string[]
    ) => ["train", STORIES_BIN, "--data", data, "--out", join(freshDir(), "o"), "--backend", "cpu", ...more];
    oneError(
      await runCli(base("/no/such/corpus.txt", "--layers", "3")),
      /^error: Cannot read corpus \/no\/such\/corpus\.txt: no such file or directory$/,
    );
    oneError(
      await runCli(base(tiny, "--layers", "3")),
      /^error: Cannot train: the training split has \d+ tokens, fewer than one window of 257$/,
    );
    oneError(
      await runCli(base(excerpt, "--layers", "9")),
      /^error: Cannot inherit the first 9 blocks: the reference has 5 blocks$/,
    );
    oneError(await runCli(base(excerpt, "--tokens", "10k", "--steps", "3")), /--tokens and --steps both/);
    oneError(
      await runCli(["eval", STORIES_BIN, "--data", tiny, "--backend", "cpu"]),
      /^error: Cannot evaluate: the validation split has \d+ tokens/,
    );
  });
});
