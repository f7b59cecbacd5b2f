/**
 * Model files read lazily (issue 15, item 2), on tiny random checkpoints (bench/random_checkpoint.ts) of both
 * families in bf16 and f16: inherit of a plain selection copies every inherited tensor's stored bytes, or
 * converts with --dtype; a target over --max-shard-size is written as transformers' shards + index; inspect
 * describes from headers, a truncated file included; loadModel builds the same f32 weights as reading every
 * tensor whole and widening it (the former path, still loadDirTensors + fromHfTensors).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readdirSync, readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel } from "../../adapters/formats/models.ts";
import { loadDirTensors, openDirTensors } from "../../adapters/formats/safetensors_index.ts";
import { readStored } from "../../adapters/formats/safetensors.ts";
import { writeRandomHfCheckpoint } from "../../bench/random_checkpoint.ts";
import { bytesToF32 } from "../../core/codecs/half.ts";
import { fromHfTensors } from "../../core/codecs/hf_layout.ts";
import { decodeHfConfig } from "../../core/codecs/hf_config.ts";
import { TINY656K_DIR } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir, right } from "../tmp.ts";

const tokenizer = { name: "tokenizer.json", bytes: readFileSync(join(TINY656K_DIR, "tokenizer.json")) };
const LLAMA = {
  model_type: "llama",
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 2048,
  max_position_embeddings: 64,
  tie_word_embeddings: false,
};
const GPT2 = { model_type: "gpt2", n_layer: 4, n_head: 2, n_embd: 16, vocab_size: 2048, n_positions: 32 };
const FAMILIES = [["Llama", LLAMA], ["GPT-2", GPT2]] as const;

const reference = async (config: Record<string, unknown>, dtype: "bf16" | "f16", maxShardSize?: number) => {
  const dir = join(freshDir(), "ref");
  right(
    await writeRandomHfCheckpoint(dir, config, {
      dtype,
      seed: 7,
      extraFiles: [tokenizer],
      ...(maxShardSize ? { maxShardSize } : {}),
    })(),
  );
  return dir;
};

/** Every tensor's stored bytes and dtype, by name. */
const storedBytes = async (dir: string) => {
  const d = right(await openDirTensors(dir)());
  const out = new Map<string, { dtype: string; bytes: Uint8Array }>();
  for (const [k, x] of d.tensors) out.set(k, { dtype: x.dtype, bytes: right(await readStored(x)()) });
  return out;
};

/** The reference name of a target tensor when the target's block k is the reference's block `blocks[k]`. */
const fromName = (name: string, blocks: ReadonlyArray<number>) =>
  name.replace(/^(model\.layers|transformer\.h)\.(\d+)\./, (_, p, k) => `${p}.${blocks[Number(k)]}.`);

const inherit = async (ref: string, ...flags: string[]) => {
  const out = join(freshDir(), "target");
  const r = await runCli(["inherit", ref, "--out", out, ...flags]);
  expect(r.err).toBe("");
  return out;
};

describe("inherit of a plain selection streams the stored bytes", () => {
  for (const [family, config] of FAMILIES) {
    for (const dtype of ["bf16", "f16"] as const) {
      test(`a ${dtype} ${family} reference gives a ${dtype} target whose every tensor's bytes equal the reference's`, async () => {
        const ref = await reference(config, dtype), out = await inherit(ref, "--layers", "0,2");
        const [a, b] = [await storedBytes(ref), await storedBytes(out)];
        expect(b.size).toBe(2 + (family === "Llama" ? 1 + 2 * 9 : 2 + 2 * 12)); // globals + 2 blocks
        for (const [name, x] of b) {
          const src = a.get(fromName(name, [0, 2]))!;
          expect([name, x.dtype]).toEqual([name, dtype.toUpperCase()]);
          expect(Buffer.compare(x.bytes, src.bytes), name).toBe(0);
        }
        const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
        expect(cfg.torch_dtype).toBe(dtype === "bf16" ? "bfloat16" : "float16");
        expect(JSON.parse(readFileSync(join(out, "inheritune.json"), "utf8")).target).toMatchObject({
          dtype: dtype.toUpperCase(),
          weights: "stored bytes copied",
        });
      });
    }
  }
  test("--dtype f32 converts every inherited tensor exactly (bf16 and f16 widen without rounding)", async () => {
    for (const dtype of ["bf16", "f16"] as const) {
      const ref = await reference(LLAMA, dtype), out = await inherit(ref, "--layers", "3", "--dtype", "f32");
      const [a, b] = [await storedBytes(ref), await storedBytes(out)];
      for (const [name, x] of b) {
        const src = a.get(name)!;
        expect(x.dtype).toBe("F32");
        expect(bytesToF32(x.bytes.slice(), "F32")).toEqual(bytesToF32(src.bytes.slice(), src.dtype as "BF16"));
      }
    }
  });
});

describe("a target over --max-shard-size is written as transformers' shards", () => {
  test("model-0000k-of-0000n.safetensors + an index with total_size and a sorted weight_map, loading back the same tensors", async () => {
    const ref = await reference(LLAMA, "bf16");
    const single = await inherit(ref, "--layers", "4"),
      sharded = await inherit(ref, "--layers", "4", "--max-shard-size", "40KB");
    const shards = readdirSync(sharded).filter((f) => f.endsWith(".safetensors")).sort();
    expect(shards.length).toBeGreaterThan(2);
    shards.forEach((f, k) =>
      expect(f).toBe(`model-${String(k + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`)
    );
    const index = JSON.parse(readFileSync(join(sharded, "model.safetensors.index.json"), "utf8"));
    const names = Object.keys(index.weight_map);
    expect(names).toEqual([...names].sort());
    const tensors = await storedBytes(sharded);
    expect(index.metadata.total_size).toBe([...tensors.values()].reduce((n, x) => n + x.bytes.length, 0));
    const inShard = (f: string) => Object.values(index.weight_map).filter((g) => g === f).length;
    for (const f of shards) { // a tensor over the limit gets a shard of its own, as in transformers
      const data = Object.entries(index.weight_map).filter(([, g]) => g === f).map(([k]) =>
        tensors.get(k)!.bytes.length
      );
      expect(inShard(f) === 1 || data.reduce((a, b) => a + b, 0) <= 40_000, f).toBe(true);
    }
    const one = await storedBytes(single);
    expect([...tensors.keys()].sort()).toEqual([...one.keys()].sort());
    for (const [k, x] of tensors) expect(Buffer.compare(x.bytes, one.get(k)!.bytes), k).toBe(0);
    expect(right(await loadModel(sharded)()).weights).toEqual(right(await loadModel(single)()).weights);
  });
  test("a size it cannot read is refused before anything is written", async () => {
    const ref = await reference(GPT2, "f16"), out = join(freshDir(), "t");
    const r = await runCli(["inherit", ref, "--layers", "1", "--out", out, "--max-shard-size", "5Gb"]);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/max-shard-size/)]);
  });
});

describe("loadModel and inspect read lazily", () => {
  for (const [family, config] of FAMILIES) {
    test(`loadModel of a sharded bf16 ${family} gives the f32 weights of reading every tensor whole and widening it`, async () => {
      const ref = await reference(config, "bf16", 10_000);
      expect(readdirSync(ref)).toContain("model.safetensors.index.json");
      const spec = right(decodeHfConfig(config, "config"));
      const whole = right(fromHfTensors(spec, right(await loadDirTensors(ref)()).tensors, ref));
      expect(right(await loadModel(ref)()).weights).toEqual(whole);
    });
  }
  test("inspect gives the facts loadModel gives (shapes, parameters, dtype on disk) from the headers alone", async () => {
    const ref = await reference(LLAMA, "f16", 10_000);
    const d = JSON.parse((await runCli(["inspect", ref, "--json"])).out), m = right(await loadModel(ref)());
    expect(d).toMatchObject({ n_layer: 4, n_embd: 32, n_kv_head: 2, vocab_size: 2048, disk: m.disk });
    expect(m.disk.dtype).toBe("F16");
    expect(d.params.total).toBe(Object.values(m.weights).reduce((n, w) => n + w.length, 0));
    expect(d.truncated).toBeUndefined();
  });
  test("a file whose data was cut short: inspect still describes it and names the tensor; loading refuses in one line", async () => {
    const ref = await reference(LLAMA, "bf16"), file = join(ref, "model.safetensors");
    truncateSync(file, readFileSync(file).length - 100);
    const r = await runCli(["inspect", ref]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/TRUNCATED\s+.*model\.safetensors: tensor model\.layers\.3\.mlp\.up_proj\.weight has bytes/);
    const j = JSON.parse((await runCli(["inspect", ref, "--json"])).out);
    expect(j.truncated).toMatch(/the file is truncated/);
    const m = await loadModel(ref)();
    expect(E.isLeft(m) && m.left.message).toMatch(
      /^Cannot read safetensors file .*model\.safetensors: tensor model\.layers\.3\.mlp\.up_proj\.weight has bytes \[\d+, \d+\) outside the \d+ bytes of data \(the file is truncated\)$/,
    );
    const i = await runCli(["inherit", ref, "--layers", "1", "--out", join(freshDir(), "t")]);
    expect([i.code, i.err]).toEqual([
      1,
      expect.stringMatching(/^error: Cannot read safetensors file .*truncated\)\n---> HINT: /),
    ]);
  });
});
