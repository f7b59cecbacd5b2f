/**
 * `inherit --heads h` in-process: the target keeps the h most active attention heads of each block
 * (core/surgery/heads.ts), and its Hugging Face directory (config.json with head_dim) re-imports, samples and
 * trains. Bad head counts and a GPT-2 target (whose config cannot say head_dim) are one error each.
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel } from "../../adapters/formats/models.ts";
import { saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { headDim, qDim } from "../../core/model/spec.ts";
import { allTensors, paramCount } from "../../core/model/tensors.ts";
import { STORIES_BIN, STORIES_TOK, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir, right } from "../tmp.ts";

/** The first 100 paragraphs of the bundled text: enough for 16 calibration windows of 100 tokens. */
const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 100).join("\n\n") + "\n");
  return p;
})();
const oneError = (r: { code: number; err: string }, why: RegExp) => {
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/^error: .*\n---> HINT: .*\n$/);
  expect(r.err.split("\n")[0]).toMatch(why);
};

describe("inherit --heads", () => {
  test("inherit --heads 4 of stories260K's 8 (GQA, 4 kv heads) writes head_dim 8, keeps one query head per kv group, and the directory re-imports, samples and trains", async () => {
    const out = join(freshDir(), "t");
    const r = await runCli([
      "inherit",
      STORIES_BIN,
      "--layers",
      "2",
      "--heads",
      "4",
      "--data",
      excerpt,
      "--out",
      out,
      "--json",
    ]);
    expect(r.err).toBe("");
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({
      num_attention_heads: 4,
      num_key_value_heads: 4,
      head_dim: 8,
      hidden_size: 64,
    });
    const rec = JSON.parse(r.out);
    expect(rec.width).toMatchObject({
      heads: 4,
      importance: expect.stringMatching(/^mean \|attention output\| of each head over \d+ held-out tokens$/),
    });
    for (const k of rec.width.kept_heads) expect(k.map((h: number) => Math.floor(h / 2))).toEqual([0, 1, 2, 3]);
    const m = right(await loadModel(out)());
    expect([m.spec.nHead, headDim(m.spec), qDim(m.spec)]).toEqual([4, 8, 32]);
    expect(rec.target.params).toBe(paramCount(m.spec));
    const s = await runCli([
      "sample",
      out,
      "--tokenizer",
      STORIES_TOK,
      "--prompt",
      "Once upon a time",
      "--temperature",
      "0",
      "--max-new-tokens",
      "8",
      "--backend",
      "cpu",
    ]);
    expect([s.code, s.err]).toEqual([0, ""]);
    expect(s.out).toMatch(/^Once upon a time\S*( \S+){2,}/);
    const t = await runCli([
      "train",
      out,
      "--data",
      excerpt,
      "--out",
      join(freshDir(), "run"),
      "--backend",
      "cpu",
      "--steps",
      "2",
      "--batch",
      "2",
      "--ctx",
      "32",
      "--json",
    ]);
    expect(t.err).toBe("");
    expect(JSON.parse(t.out.trim().split("\n").at(-1)!)).toMatchObject({ steps: 2, train_loss: expect.any(Number) });
  });

  test("a head count the grouping does not allow, or one above n_head, is one error naming it, before any calibration", async () => {
    const base = (h: string) => ["inherit", STORIES_BIN, "--layers", "1", "--heads", h, "--out", join(freshDir(), "o")];
    oneError(
      await runCli(base("3")),
      /^error: Cannot keep 3 of 8 query heads per block: each of the 4 kv heads serves 2 of them/,
    );
    oneError(await runCli(base("9")), /^error: Cannot keep 9 of 8 query heads per block/);
  });

  test("a GPT-2 target with fewer heads is refused by name (GPT2Config has no head_dim), and nothing is written", async () => {
    const spec = {
      _tag: "gpt2" as const,
      nLayer: 2,
      nEmbd: 8,
      nHead: 2,
      vocabSize: 512,
      blockSize: 16,
      nInner: 8,
      normEps: 1e-5,
    };
    const weights = Object.fromEntries(
      allTensors(spec).map((t) => [t.name, new Float32Array(t.shape.reduce((a, b) => a * b, 1)).fill(0.01)]),
    );
    const ref = join(freshDir(), "gpt2");
    right(await saveHfModel(ref, { spec, weights, dtype: "F32" })());
    const out = join(freshDir(), "o");
    oneError(
      await runCli([
        "inherit",
        ref,
        "--layers",
        "1",
        "--heads",
        "1",
        "--data",
        excerpt,
        "--tokenizer",
        STORIES_TOK,
        "--out",
        out,
      ]),
      /^error: Cannot write a GPT-2 config\.json for 1 heads of width 4 at n_embd 8: GPT2Config has no head_dim/,
    );
    expect(() => readFileSync(join(out, "config.json"))).toThrow();
  });
});
