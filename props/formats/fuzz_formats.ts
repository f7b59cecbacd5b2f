/**
 * Every file format the tool reads, each as a good seed file (tiny, built here or bundled), the
 * damage fast-check may do to it (props/formats/fuzz_damage.ts) and the loader a user's command would run
 * on it: in memory where a decode function exists (llama2.c v0, ak42 v1/v2, tokenizer.bin, GPT-2),
 * through the real file loaders otherwise (a directory rewritten for each case). Shared by the suite
 * (props/formats/fuzz_loaders.test.ts) and the long run (scripts/fuzz.ts).
 * @module
 */
import type fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from "../../adapters/train/checkpoint.ts";
import { decodeGpt2Tokenizer } from "../../adapters/tokenizers/gpt2.ts";
import { saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { decodeLlama2c, expectedBytes } from "../../adapters/formats/llama2c.ts";
import { AK42_MAGIC, decodeAk42, expectedAk42Bytes } from "../../adapters/formats/llama2c_ak42.ts";
import { decodeLlama2cTokenizer, loadLlama2cTokenizer } from "../../adapters/tokenizers/llama2c.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import { loadTokenizerFiles } from "../../adapters/tokenizers/load.ts";
import { tokenizeCorpus } from "../../adapters/data/token_store.ts";
import { loadTrainingData } from "../../adapters/data/training_data.ts";
import { listCorpus } from "../../adapters/data/corpus.ts";
import { bytesToUnicode } from "../../core/text/byte_bpe.ts";
import { initialState } from "../../core/train/cpu_trainer.ts";
import type { AppError } from "../../core/errors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { seedRng } from "../../core/rng.ts";
import { STORIES_TOK, TINY656K_DIR, TINYSTORIES_TEXT } from "../../test/assets.ts";
import { TINY, tinySettings, tinyWeights } from "../../test/training_fixtures.ts";
import {
  arbBytesDamage,
  arbJsonDamage,
  arbJsonFileDamage,
  arbOneOf,
  arbSafetensorsDamage,
  type Damage,
  reheader,
} from "./fuzz_damage.ts";

export interface FuzzFormat {
  readonly name: string;
  readonly arb: fc.Arbitrary<unknown>;
  /** Apply one damage and load: our error or a value; a throw or a hang is a finding. */
  readonly load: (damage: unknown) => Promise<E.Either<AppError, unknown>>;
}

const SAMPLE = "Once upon a time, a 3-legged cat said: \u00e9\u00e8 \u{1F600}!";
const utf8 = new TextEncoder();

/** A llama2.c v0 file of the tiny spec: 7 int32 (vocab negative: untied), then the floats. */
const tinyV0 = (): Uint8Array => {
  const b = new Uint8Array(expectedBytes(TINY)), v = new DataView(b.buffer);
  [TINY.nEmbd, TINY.hiddenDim, TINY.nLayer, TINY.nHead, TINY.nKvHead, -TINY.vocabSize, TINY.blockSize].forEach((x, i) =>
    v.setInt32(4 * i, x, true)
  );
  for (let o = 28; o < b.length; o += 4) v.setFloat32(o, Math.sin(o), true);
  return b;
};

/** An ak42 file of the tiny spec: v1 float32, or v2 Q8_0 in groups of 4 (the bytes after the header are arbitrary). */
const tinyAk42 = (version: 1 | 2): Uint8Array => {
  const b = new Uint8Array(expectedAk42Bytes(TINY, version, 4)), v = new DataView(b.buffer);
  v.setUint32(0, AK42_MAGIC, true);
  v.setInt32(4, version, true);
  [TINY.nEmbd, TINY.hiddenDim, TINY.nLayer, TINY.nHead, TINY.nKvHead, TINY.vocabSize, TINY.blockSize].forEach((x, i) =>
    v.setInt32(8 + 4 * i, x, true)
  );
  b[36] = 0; // untied
  if (version === 2) v.setInt32(37, 4, true);
  for (let o = 256; o + 4 <= b.length; o += 4) v.setFloat32(o, 0.01 * Math.cos(o), true);
  return b;
};

/** GPT-2 style files: the 256 byte pieces, a few merges, <|endoftext|>. */
const tinyGpt2 = (): { enc: string; bpe: string } => {
  const pieces = [...bytesToUnicode()],
    merges = [["t", "h"], ["th", "e"], ["\u0120", "th"], ["o", "n"], ["\u0120", "c"], ["a", "t"]];
  for (const [a, b] of merges) pieces.push(a! + b!);
  pieces.push("<|endoftext|>");
  return {
    enc: JSON.stringify(Object.fromEntries(pieces.map((p, i) => [p, i]))),
    bpe: ["#version: 0.2", ...merges.map((m) => m.join(" "))].join("\n") + "\n",
  };
};

/** tinystories656K's tokenizer.json cut to its first 400 ids (and the merges among them): the same kinds of part, cheaper to build. */
const smallTokenizerJson = (): Uint8Array => {
  const j = JSON.parse(readFileSync(join(TINY656K_DIR, "tokenizer.json"), "utf8")) as {
    model: { vocab: Record<string, number>; merges: string[] };
  };
  const vocab = Object.fromEntries(Object.entries(j.model.vocab).filter(([, id]) => id < 400));
  const merges = j.model.merges.filter((m) => {
    const [a, b] = m.split(" ");
    return a! in vocab && b! in vocab && a! + b! in vocab;
  });
  return utf8.encode(JSON.stringify({ ...j, model: { ...j.model, vocab, merges } }));
};

const inMemory = (
  name: string,
  seed: Uint8Array,
  decode: (b: Uint8Array) => E.Either<AppError, unknown>,
): FuzzFormat => ({ name, arb: arbBytesDamage(seed.length), load: async (d) => decode((d as Damage)(seed)) });

/** A directory of seed files, rewritten (one file damaged) before each load. */
const onDisk = (
  name: string,
  dir: string,
  seeds: Readonly<Record<string, Uint8Array>>,
  arbs: ReadonlyArray<readonly [string, fc.Arbitrary<Damage>]>,
  load: () => Promise<E.Either<AppError, unknown>>,
): FuzzFormat => ({
  name,
  arb: arbOneOf(arbs),
  load: async (c) => {
    const { file, damage } = c as { file: string; damage: Damage };
    for (const [f, b] of Object.entries(seeds)) writeFileSync(join(dir, f), f === file ? damage(b) : b);
    return load();
  },
});

const filesOf = (dir: string, names: ReadonlyArray<string>) =>
  Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
const fresh = (root: string, name: string) => {
  const d = join(root, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
};
const must = <A>(e: E.Either<AppError, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};

/** A training checkpoint's record (JSON in the header's metadata) damaged field by field. */
const arbRecordDamage = (b: Uint8Array): fc.Arbitrary<Damage> => {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const meta = (JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as { __metadata__: Record<string, string> })
    .__metadata__;
  const key = "inheritune_checkpoint", record = JSON.parse(meta[key]!) as unknown;
  return arbJsonDamage(record).map((f): Damage => (x) =>
    reheader(x, (h) => ({ ...(h as object), __metadata__: { ...meta, [key]: JSON.stringify(f(record)) } }))
  );
};

/** Build every seed under `root` and return the formats. */
export const fuzzFormats = async (root: string): Promise<ReadonlyArray<FuzzFormat>> => {
  const tok512 = new Uint8Array(readFileSync(STORIES_TOK)), gpt2 = tinyGpt2();
  const tok = must(await loadLlama2cTokenizer(STORIES_TOK, 512)());
  const single = fresh(root, "single"),
    sharded = fresh(root, "sharded"),
    hfTok = fresh(root, "hftok"),
    ck = fresh(root, "ck"),
    text = fresh(root, "text");
  const tokens = join(root, "tokens"), model = { spec: TINY, weights: tinyWeights(3), dtype: "F32" as const };
  rmSync(tokens, { recursive: true, force: true });
  must(await saveHfModel(single, model)());
  const shardNames = must(await saveHfModel(sharded, { ...model, maxShardBytes: 1200 })()).filter((f) =>
    f.endsWith(".json") || f.endsWith(".safetensors")
  );
  writeFileSync(join(hfTok, "tokenizer.json"), smallTokenizerJson());
  writeFileSync(join(text, "a.txt"), readFileSync(TINYSTORIES_TEXT, "utf8").slice(0, 6000));
  const m = must(
    await tokenizeCorpus(must(await listCorpus(join(text, "a.txt"))), tok, tokens, {
      field: "text",
      split: "paragraph",
      boundary: "bos",
      valFraction: 0.2,
      shardTokens: 600,
      tokenizerSource: STORIES_TOK,
    })(),
  );
  const progress = { step: 3, tokens: 48, rng: seedRng(5), valLossInitial: 2.5 };
  must(
    await saveCheckpoint(join(ck, CHECKPOINT_FILE), {
      spec: TINY,
      state: initialState(TINY, { weights: tinyWeights(4) }),
      progress,
      settings: tinySettings(9),
    })(),
  );
  const ckBytes = new Uint8Array(readFileSync(join(ck, CHECKPOINT_FILE)));
  const hf = filesOf(single, ["config.json", "model.safetensors"]),
    sh = filesOf(sharded, shardNames),
    tk = filesOf(tokens, ["tokens.json", ...m.shards.map((s) => s.file)]);
  const json = (f: string, b: Uint8Array) => [f, arbJsonFileDamage(b)] as const,
    st = (f: string, b: Uint8Array) => [f, arbSafetensorsDamage(b)] as const;
  const usable = <A extends Pick<Tokenizer, "encode">>(
    r: E.Either<AppError, A>,
  ) => (E.isRight(r) && r.right.encode(SAMPLE, { bos: true, eos: true }), r);
  return [
    inMemory("llama2.c v0 checkpoint", tinyV0(), (b) => decodeLlama2c(b, "fuzz.bin")),
    inMemory("llama2.c ak42 v1 checkpoint", tinyAk42(1), (b) => decodeAk42(b, "fuzz.bin")),
    inMemory("llama2.c ak42 v2 (Q8_0) checkpoint", tinyAk42(2), (b) => decodeAk42(b, "fuzz.bin")),
    inMemory(
      "llama2.c tokenizer.bin",
      tok512,
      (b) => usable(decodeLlama2cTokenizer(b, b.length % 2 === 0 ? 512 : undefined, "tok.bin")),
    ),
    {
      name: "GPT-2 encoder.json + vocab.bpe",
      arb: arbOneOf([json("encoder.json", utf8.encode(gpt2.enc)), [
        "vocab.bpe",
        arbBytesDamage(gpt2.bpe.length, gpt2.bpe.length),
      ]]),
      load: async (c) => {
        const { file, damage } = c as { file: string; damage: Damage },
          t = (f: string, s: string) => (file === f ? new TextDecoder().decode(damage(utf8.encode(s))) : s);
        return usable(decodeGpt2Tokenizer(t("encoder.json", gpt2.enc), t("vocab.bpe", gpt2.bpe), "encoder.json"));
      },
    },
    onDisk(
      "HF tokenizer.json",
      hfTok,
      filesOf(hfTok, ["tokenizer.json"]),
      [json("tokenizer.json", filesOf(hfTok, ["tokenizer.json"])["tokenizer.json"]!)],
      async () => usable(await loadTokenizerFiles({ _tag: "hf", files: [join(hfTok, "tokenizer.json")] }, undefined)()),
    ),
    onDisk(
      "safetensors model (model.safetensors)",
      single,
      hf,
      [st("model.safetensors", hf["model.safetensors"]!)],
      () => loadModel(single)(),
    ),
    onDisk("HF config.json", single, hf, [json("config.json", hf["config.json"]!)], () => loadModel(single)()),
    onDisk(
      "sharded safetensors (index + shards)",
      sharded,
      sh,
      shardNames.filter((f) => f !== "config.json").map((f) => (f.endsWith(".json") ? json(f, sh[f]!) : st(f, sh[f]!))),
      () => loadModel(sharded)(),
    ),
    onDisk(
      "token shards (tokenize output)",
      tokens,
      tk,
      Object.entries(tk).map((
        [f, b],
      ) => (f.endsWith(".json") ? json(f, b) : [f, arbBytesDamage(b.length, 32)] as const)),
      () => loadTrainingData(tokens, tok)(),
    ),
    onDisk("training checkpoint", ck, { [CHECKPOINT_FILE]: ckBytes }, [st(CHECKPOINT_FILE, ckBytes), [
      CHECKPOINT_FILE,
      arbRecordDamage(ckBytes),
    ]], () => loadCheckpoint(join(ck, CHECKPOINT_FILE))()),
  ];
};
