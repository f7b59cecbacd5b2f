import * as E from "fp-ts/lib/Either.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import { loadSafetensors, saveSafetensors } from "../../adapters/formats/safetensors.ts";
import { loadDirTensors, saveDirTensors } from "../../adapters/formats/safetensors_index.ts";
import { findTokenizer } from "../../adapters/tokenizers/load.ts";
import { TINY656K_DIR } from "../assets.ts";
import { freshDir, right } from "../tmp.ts";

/** A safetensors file from a header object and a data length. */
const stFile = (header: unknown, dataBytes: number, declared?: bigint): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const b = new Uint8Array(8 + json.length + dataBytes);
  new DataView(b.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  b.set(json, 8);
  return b;
};
const dir = freshDir();
const failure = async (header: unknown, dataBytes: number, declared?: bigint) => {
  const f = join(dir, `case${Math.random().toString(36).slice(2)}.safetensors`);
  writeFileSync(f, stFile(header, dataBytes, declared));
  const r = await loadSafetensors(f)();
  expect(E.isLeft(r)).toBe(true);
  return E.isLeft(r) ? `${r.left._tag}: ${r.left.message} / ${r.left.hint}` : "";
};
const t = (dtype: string, shape: number[], begin: number, end: number) => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

describe("bad safetensors files: one clear error each", () => {
  test("a header length past the end of the file", async () => {
    expect(await failure({}, 0, 1n << 40n)).toMatch(/BadFile: .*header claims 1099511627776 bytes but only 2 follow/);
  });
  test("a tensor whose byte range lies outside the data", async () => {
    expect(await failure({ a: t("F32", [4], 0, 16) }, 8)).toMatch(
      /tensor a has bytes \[0, 16\) outside the 8 bytes of data/,
    );
  });
  test("two tensors whose byte ranges overlap", async () => {
    expect(await failure({ a: t("F32", [4], 0, 16), b: t("F32", [2], 8, 16) }, 16)).toMatch(/tensors a and b overlap/);
  });
  test("an unknown dtype", async () => {
    expect(await failure({ a: t("I64", [2], 0, 16) }, 16)).toMatch(/dtype I64; only F32, F16, BF16 are supported/);
  });
  test("a shape whose size disagrees with its byte range", async () => {
    expect(await failure({ a: t("F16", [3], 0, 8) }, 8)).toMatch(/needs 6 bytes but its range holds 8/);
  });
  test("a header that is not JSON, and a file shorter than 8 bytes", async () => {
    const f = join(dir, "junk.safetensors");
    writeFileSync(f, new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b]));
    expect(
      E.isLeft(await loadSafetensors(f)()) && (await loadSafetensors(f)() as E.Left<{ message: string }>).left.message,
    ).toMatch(/not valid JSON/);
    writeFileSync(f, new Uint8Array(5));
    expect((await loadSafetensors(f)() as E.Left<{ message: string }>).left.message).toMatch(
      /fewer than the 8-byte header length/,
    );
  });
  test("a sharded checkpoint whose index names a missing shard", async () => {
    const d = freshDir();
    right(
      await saveDirTensors(
        d,
        [{ name: "a", shape: [4], data: new Float32Array(4) }, { name: "b", shape: [4], data: new Float32Array(4) }],
        "F32",
        {},
        16,
      )(),
    );
    expect(readdirSync(d).sort()).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    rmSync(join(d, "model-00002-of-00002.safetensors"));
    const r = await loadDirTensors(d)();
    expect(E.isLeft(r) && r.left.message).toMatch(
      /shard model-00002-of-00002\.safetensors, named in model\.safetensors\.index\.json, is missing/,
    );
  });
});

describe("odd but valid safetensors files", () => {
  test("a tensor named __proto__ is written and read as a tensor (found by fast-check)", async () => {
    const f = join(dir, "proto.safetensors");
    right(await saveSafetensors(f, [{ name: "__proto__", shape: [], data: Float32Array.of(2) }], "F32")());
    expect(right(await loadSafetensors(f)()).tensors.get("__proto__")?.data).toEqual(Float32Array.of(2));
  });
});

describe("bad model directories and tokenizers", () => {
  const copyOf656K = (edit: (cfg: Record<string, unknown>) => void) => {
    const d = freshDir();
    for (const f of readdirSync(TINY656K_DIR)) writeFileSync(join(d, f), readFileSync(join(TINY656K_DIR, f)));
    const cfg = JSON.parse(readFileSync(join(d, "config.json"), "utf8"));
    edit(cfg);
    writeFileSync(join(d, "config.json"), JSON.stringify(cfg));
    return d;
  };
  test("a config whose shapes disagree with the tensors names the tensor and both shapes", async () => {
    const r = await loadModel(copyOf656K((c) => {
      c.intermediate_size = 256;
    }))();
    expect(E.isLeft(r) && r.left.message).toMatch(
      /tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[384, 128\] but the config implies \[256, 128\]/,
    );
  });
  test("a config with fewer layers than the checkpoint says which tensors have no place", async () => {
    const r = await loadModel(copyOf656K((c) => {
      c.num_hidden_layers = 1;
    }))();
    expect(E.isLeft(r) && r.left.message).toMatch(/tensors the config has no place for \(model\.layers\.1\./);
  });
  test("a tokenizer.json of an unsupported model type is refused, naming the type and the supported ones", async () => {
    const d = freshDir();
    const json = JSON.parse(readFileSync(join(TINY656K_DIR, "tokenizer.json"), "utf8"));
    writeFileSync(
      join(d, "tokenizer.json"),
      JSON.stringify({ ...json, model: { type: "Unigram", vocab: [["a", 0]] } }),
    );
    const r = await findTokenizer(undefined, undefined, d)();
    expect(E.isLeft(r) && `${r.left.message} / ${r.left.hint}`).toMatch(
      /model type "Unigram" is not supported \/ supported: BPE/,
    );
  });
  test("a failed export leaves nothing behind, and an existing non-empty directory is refused", async () => {
    const m = right(await loadModel(TINY656K_DIR)());
    const parent = freshDir();
    const out = join(parent, "out");
    const weights = { ...m.weights, wte: new Float32Array(3) }; // a wrong size fails while writing the weights
    const r = await saveHfModel(out, { spec: m.spec, weights, dtype: "F32" })();
    expect(E.isLeft(r)).toBe(true);
    expect(readdirSync(parent)).toEqual([]);
    mkdirSync(out);
    writeFileSync(join(out, "keep.txt"), "x");
    const r2 = await saveHfModel(out, { spec: m.spec, weights: m.weights, dtype: "F32" })();
    expect(E.isLeft(r2) && r2.left.message).toMatch(/exists and is not an empty directory/);
    expect(readdirSync(out)).toEqual(["keep.txt"]);
    expect(existsSync(join(out, "config.json"))).toBe(false);
  });
});
