import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { TOOL } from "../../cli/version.ts";
import { selectSubset } from "../../core/train/token_shards.ts";
import { STORIES_BIN, STORIES_TOK, TINY656K_DIR, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { denoCli, denoTask, nodeCli } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";

const KEYS = ["family", "n_layer", "n_embd", "n_head", "n_kv_head", "vocab_size", "block_size", "params"];
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describe("inspect, inherit and tokenize in-process", () => {
  test("inspect --json gives the issue's keys for both bundled models, and the table names rotary and tying", async () => {
    const s = JSON.parse((await runCli(["inspect", STORIES_BIN, "--json"])).out);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(KEYS));
    expect(s).toMatchObject({
      family: "llama",
      n_layer: 5,
      n_embd: 64,
      n_head: 8,
      n_kv_head: 4,
      vocab_size: 512,
      block_size: 512,
      params: { total: 260032 },
    });
    const t = JSON.parse((await runCli(["inspect", TINY656K_DIR, "--json"])).out);
    expect(t).toMatchObject({
      family: "llama",
      n_layer: 2,
      n_embd: 128,
      n_kv_head: 4,
      vocab_size: 2048,
      rope: { style: "half" },
      params: { total: 656000 },
      disk: { dtype: "F32" },
    });
    const table = (await runCli(["inspect", STORIES_BIN])).out;
    expect(table).toMatch(/rotary\s+interleaved pairs \(llama2\.c\), θ 10000/);
    expect(table).toMatch(/LM head\s+tied to the token embedding/);
  });
  test("inherit writes config (target depth), generation config, tokenizer, weights and inheritune.json with the reference's sha256, the plan and the tool version", async () => {
    const out = join(freshDir(), "t1");
    const r = await runCli(["inherit", TINY656K_DIR, "--layers", "1", "--out", out, "--json"]);
    expect(r.err).toBe("");
    expect(readdirSync(out).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "inheritune.json",
      "model.safetensors",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({
      model_type: "llama",
      num_hidden_layers: 1,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
    });
    const rec = JSON.parse(readFileSync(join(out, "inheritune.json"), "utf8"));
    expect(JSON.parse(r.out)).toEqual(rec);
    expect(rec.tool).toEqual(TOOL);
    expect(TOOL.version).toBe(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version);
    expect(rec.reference.files).toContainEqual({
      name: "model.safetensors",
      sha256: sha256(join(TINY656K_DIR, "model.safetensors")),
    });
    expect(rec.plan.map((e: { text: string }) => e.text)).toEqual(
      expect.arrayContaining(["h.0.wq ← reference h.0.wq", "lmhead: tied to wte"]),
    );
    expect(readFileSync(join(out, "tokenizer.json"))).toEqual(readFileSync(join(TINY656K_DIR, "tokenizer.json")));
    const s = await runCli([
      "inherit",
      STORIES_BIN,
      "--layers",
      "0,2,4",
      "--out",
      join(freshDir(), "s"),
      "--dtype",
      "f16",
    ]);
    expect(s.out).toMatch(/3 of 5 blocks \(0,2,4\), 169,152 parameters, F16/);
  });
  test("a bad --layers or an occupied --out writes nothing and says why", async () => {
    const parent = freshDir();
    const r = await runCli(["inherit", STORIES_BIN, "--layers", "9", "--out", join(parent, "x")]);
    expect([r.code, r.err]).toEqual([
      1,
      expect.stringMatching(/^error: Cannot inherit the first 9 blocks: the reference has 5 blocks\n---> HINT: /),
    ]);
    expect(readdirSync(parent)).toEqual([]);
    const again = await runCli(["inherit", STORIES_BIN, "--layers", "2", "--out", parent + "/.."]);
    expect(again.err).toMatch(/exists and is not an empty directory/);
  });
  test("tokenize the bundled TinyStories text: paragraphs with BOS, the last 10% held out, and the same seed and budget give the same subset", async () => {
    const [a, b] = [freshDir(), freshDir()].map((d) => join(d, "tok"));
    const run = (out: string, seed: string) =>
      runCli([
        "tokenize",
        TINYSTORIES_TEXT,
        "--tokenizer",
        STORIES_TOK,
        "--out",
        out,
        "--tokens",
        "50k",
        "--seed",
        seed,
        "--json",
      ]);
    const [ma, mb] = await Promise.all([run(a!, "7"), run(b!, "7")]).then((rs) => rs.map((r) => JSON.parse(r.out)));
    expect(ma).toMatchObject({ width: 2, documents: 4302, total_tokens: 385888, boundary: "bos" });
    const val = ma.split.val[1] - ma.split.val[0]; // from the first paragraph start after the 90% cut
    expect(val > 0.099 * ma.total_tokens && val <= 0.1 * ma.total_tokens).toBe(true);
    expect(ma.split.train).toEqual([0, ma.split.val[0]]);
    expect(ma.subset).toEqual(mb.subset);
    expect(ma.subset.ranges).not.toEqual(selectSubset(ma.split.train[1], 50_000, 8, 4096));
    expect(readFileSync(join(a!, "shard_00000.tok"))).toEqual(readFileSync(join(b!, "shard_00000.tok")));
  });
});

describe("the new commands through both runtimes' entry points", () => {
  for (const [name, run] of [["Node (esbuild bundle)", nodeCli], ["Deno (cli/deno.ts)", denoCli]] as const) {
    test(`${name}: inspect both bundled models, inherit each, and tokenize with the HF tokenizer`, async () => {
      for (const m of [STORIES_BIN, TINY656K_DIR]) {
        const r = await run(["inspect", m, "--json"]);
        expect(r.code, r.stderr).toBe(0);
        expect(Object.keys(JSON.parse(r.stdout))).toEqual(expect.arrayContaining(KEYS));
        const out = join(freshDir(), "t");
        const i = await run(["inherit", m, "--layers", "1", "--out", out]);
        expect(i.code, i.stderr).toBe(0);
        expect(existsSync(join(out, "model.safetensors"))).toBe(true);
      }
      const t = await run([
        "tokenize",
        TINYSTORIES_TEXT,
        "--tokenizer",
        TINY656K_DIR,
        "--out",
        join(freshDir(), "tok"),
        "--fraction",
        "0.001",
      ]);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toMatch(/198,572 tokens \(uint16\) from 4302 documents .* subset 179 tokens/);
    });
  }
  test("`deno task cli inspect` runs the same program", async () => {
    const r = await denoTask(["cli", "inspect", TINY656K_DIR]);
    expect(r.stdout).toMatch(/parameters\s+656,000/);
  });
});
