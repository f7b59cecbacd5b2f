/**
 * The commands on tiny Llama 3 / Mistral / Qwen3 / Gemma checkpoints in HF layout (test/hf_families.ts, with
 * stories260K's 512-token tokenizer beside them), in-process on the CPU backend (the WebGPU paths of the same
 * checkpoints: test/gpu/rotary_families_gpu.test.ts): `inherit` keeps the first block, narrowed by `--heads`
 * (Qwen3: its q/k norms are per head width, shared by the heads, so they are kept whole) or `--ffn` (Gemma's
 * GeGLU), and writes the family's own config.json; the target re-imports, trains and samples. A Mistral
 * `--ctx` past its sliding window is one error naming the window.
 * @module
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel } from "../../../adapters/formats/models.ts";
import { STORIES_TOK, TINYSTORIES_TEXT } from "../../assets.ts";
import { runCli } from "../../cli_io.ts";
import { FAMILY_CONFIGS, type FamilyName, writeFamilyCheckpoint } from "../../hf_families.ts";
import { freshDir, right } from "../../tmp.ts";

const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 100).join("\n\n") + "\n");
  return p;
})();

/** A family's tiny checkpoint over stories260K's vocabulary, its tokenizer beside it. */
const reference = async (family: FamilyName): Promise<string> => {
  const dir = freshDir();
  await writeFamilyCheckpoint(dir, family, 11, { vocab_size: 512 });
  copyFileSync(STORIES_TOK, join(dir, "tok512.bin"));
  return dir;
};

const NARROW: Readonly<Record<FamilyName, ReadonlyArray<string>>> = {
  llama3: [],
  mistral: ["--ffn", "12"],
  qwen3: ["--heads", "2"], // of 4, over 2 kv heads: one per group
  gemma: ["--ffn", "12"],
};

/** inspect's features (core/report/model_features.ts): the JSON keys and values, and the first table row. */
const FEATURES: Readonly<Record<FamilyName, { readonly json: Record<string, unknown>; readonly row: RegExp }>> = {
  llama3: { json: { rope_scaling: { kind: "llama3", factor: 8 } }, row: /rope scaling +llama3 ×8/ },
  mistral: { json: { sliding_window: 32 }, row: /sliding window +32 positions/ },
  qwen3: { json: { qk_norm: true }, row: /q\/k norm +RMSNorm of each head's q and k/ },
  gemma: { json: { norm: "rmsOffset", embed_scale: true, mlp: "geglu" }, row: /norm +RMSNorm scaled by \(1 \+ w\)/ },
};

describe.each(Object.keys(FAMILY_CONFIGS) as FamilyName[])("the commands on a tiny %s", (family) => {
  test("inspect names the family and the features beyond Llama 2", async () => {
    const ref = await reference(family), d = JSON.parse((await runCli(["inspect", ref, "--json"])).out);
    expect(d).toMatchObject({ family: FAMILY_CONFIGS[family]["model_type"] });
    expect(d.features).toMatchObject(FEATURES[family].json);
    expect(Object.keys(d.features).sort()).toEqual(Object.keys(FEATURES[family].json).sort());
    expect((await runCli(["inspect", ref])).out).toMatch(FEATURES[family].row);
  });

  test("inherit (narrowed where it applies) writes the family's config.json, and the target re-imports, trains and samples", async () => {
    const ref = await reference(family), out = join(freshDir(), "t");
    const r = await runCli(["inherit", ref, "--layers", "1", ...NARROW[family], "--data", excerpt, "--out", out]);
    expect([r.code, r.err]).toEqual([0, ""]);
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(cfg).toMatchObject({ model_type: FAMILY_CONFIGS[family]["model_type"], num_hidden_layers: 1 });
    const m = right(await loadModel(out)());
    expect(m.spec.nLayer).toBe(1);
    if (family === "qwen3") {
      expect(cfg).toMatchObject({ num_attention_heads: 2, head_dim: 8 });
      expect(m.weights["h.0.qnorm"]).toEqual(right(await loadModel(ref)()).weights["h.0.qnorm"]);
    }
    if (NARROW[family][0] === "--ffn") expect(cfg.intermediate_size).toBe(12);
    const run = join(freshDir(), "run");
    const t = await runCli([
      "train",
      out,
      "--data",
      excerpt,
      "--out",
      run,
      "--backend",
      "cpu",
      "--steps",
      "2",
      "--batch",
      "2",
      "--ctx",
      "32",
      "--tokenizer",
      STORIES_TOK,
      "--json",
    ]);
    expect(t.err).toBe("");
    expect(JSON.parse(t.out.trim().split("\n").at(-1)!)).toMatchObject({ steps: 2, train_loss: expect.any(Number) });
    const trained = JSON.parse(readFileSync(join(run, "model", "config.json"), "utf8"));
    expect(trained.model_type).toBe(FAMILY_CONFIGS[family]["model_type"]);
    const s = await runCli([
      "sample",
      join(run, "model"),
      "--tokenizer",
      STORIES_TOK,
      "--prompt",
      "Once",
      "--temperature",
      "0",
      "--max-new-tokens",
      "6",
      "--backend",
      "cpu",
    ]);
    expect([s.code, s.err]).toEqual([0, ""]);
    expect(s.out).toMatch(/^Once/);
  });
});

test("training a Mistral with --ctx past its sliding window is one error naming the window", async () => {
  const ref = await reference("mistral");
  const r = await runCli([
    "train",
    ref,
    "--data",
    excerpt,
    "--out",
    join(freshDir(), "run"),
    "--backend",
    "cpu",
    "--steps",
    "1",
    "--ctx",
    "33",
  ]);
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(
    /^error: Cannot train with --ctx 33: the model's sliding window is 32 positions \(longer contexts, which need the window's mask, are not supported\)\n---> HINT: give --ctx 32 or less\n$/,
  );
});
