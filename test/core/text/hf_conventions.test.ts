/**
 * The conventions of real model folders: every tokenizer_config.json and generation_config.json in
 * assets/configs decodes (their extra keys pass), the keys we use read as the file states them, a
 * wrongly typed one is refused naming it; and each family's real tokenizer.json with its
 * tokenizer_config.json starts a text with BOS exactly where transformers' tokenizer does (GPT-2,
 * Pythia, SmolLM2: ByteLevel or no post-processor, no BOS; TinyLlama: TemplateProcessing `<s> $A`).
 * One rule then places BOS in sample, eval and tokenize (core/text/conventions.ts).
 */
import * as E from "fp-ts/lib/Either.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decodeHfTokenizer } from "../../../adapters/tokenizers/hf.ts";
import {
  decodeGenerationConfig,
  decodeTokenizerConfig,
  templateBos,
  type TokenizerConventions,
} from "../../../adapters/tokenizers/hf_conventions.ts";
import { tokenRequest } from "../../../core/eval/encode_pair.ts";
import { contextPrefix, documentBoundary, promptIds, stopIds } from "../../../core/text/conventions.ts";
import type { Tokenizer } from "../../../core/text/tokenizer.ts";
import { ROOT } from "../../runtimes.ts";
import { right } from "../../tmp.ts";

const CONFIGS = join(ROOT, "assets/configs"), TOKENIZERS = join(ROOT, "assets/tokenizers");
const json = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));
const named = (suffix: string) => readdirSync(CONFIGS).filter((f) => f.endsWith(suffix)).sort();

/** What each real tokenizer_config.json says, by hand from the file (absent keys stay absent). */
const TOKENIZER_CONFIGS: Record<string, Partial<TokenizerConventions>> = {
  "gpt2.tokenizer_config.json": {},
  "llama-3.2-1b.tokenizer_config.json": { bosToken: "<|begin_of_text|>", eosToken: "<|end_of_text|>" },
  "mistral-7b-v0.1.tokenizer_config.json": { addBosToken: true, bosToken: "<s>", eosToken: "</s>" },
  "phi-2.tokenizer_config.json": { bosToken: "<|endoftext|>", eosToken: "<|endoftext|>" },
  "pythia-160m.tokenizer_config.json": { bosToken: "<|endoftext|>", eosToken: "<|endoftext|>" },
  "pythia-70m.tokenizer_config.json": { bosToken: "<|endoftext|>", eosToken: "<|endoftext|>" },
  "qwen2.5-0.5b.tokenizer_config.json": { addBosToken: false, bosToken: null, eosToken: "<|endoftext|>" },
  "smollm2-135m-instruct.tokenizer_config.json": { bosToken: "<|im_start|>", eosToken: "<|im_end|>" },
  "smollm2-360m-instruct.tokenizer_config.json": { bosToken: "<|im_start|>", eosToken: "<|im_end|>" },
  "tinyllama-1.1b-chat-v0.6.tokenizer_config.json": { bosToken: "<s>", eosToken: "</s>" },
};
/** generation_config.json's eos_token_id, as a list. */
const GENERATION_EOS: Record<string, number[]> = {
  "gemma-2b.generation_config.json": [1],
  "gpt2-xl.generation_config.json": [50256],
  "gpt2.generation_config.json": [50256],
  "llama-3.2-1b.generation_config.json": [128001],
  "mistral-7b-v0.1.generation_config.json": [2],
  "phi-2.generation_config.json": [50256],
  "qwen2.5-0.5b-instruct.generation_config.json": [151645, 151643],
  "qwen2.5-0.5b.generation_config.json": [151643],
  "smollm2-135m-instruct.generation_config.json": [2],
  "smollm2-360m-instruct.generation_config.json": [2],
  "tinyllama-1.1b-chat-v0.6.generation_config.json": [2],
};

describe("every real tokenizer_config.json and generation_config.json decodes", () => {
  test("the tables name every such file in assets/configs", () => {
    expect(named(".tokenizer_config.json")).toEqual(Object.keys(TOKENIZER_CONFIGS).sort());
    expect(named(".generation_config.json")).toEqual(Object.keys(GENERATION_EOS).sort());
  });
  for (const [file, says] of Object.entries(TOKENIZER_CONFIGS)) {
    test(`${file}: decodes, with chat_template and added_tokens_decoder passing, as the file says`, () => {
      const c = right(decodeTokenizerConfig(json(join(CONFIGS, file)), file));
      expect(c).toEqual({ removeSpace: false, lowercaseAndRemoveAccent: false, ...says });
    });
  }
  for (const [file, eos] of Object.entries(GENERATION_EOS)) {
    test(`${file}: decodes, eos ${eos.join(", ")}`, () => {
      expect(right(decodeGenerationConfig(json(join(CONFIGS, file)), file)).eosIds).toEqual(eos);
    });
  }
  test("an AddedToken object names its content; a wrongly typed key we use is refused naming it", () => {
    const obj = { bos_token: { content: "<s>", lstrip: false, __type: "AddedToken" }, chat_template: 3 };
    expect(right(decodeTokenizerConfig(obj, "t.json")).bosToken).toBe("<s>");
    const bad = decodeTokenizerConfig({ add_bos_token: "yes" }, "t.json");
    expect(E.isLeft(bad) && bad.left.message).toBe(
      'Cannot read tokenizer config t.json: add_bos_token: expected boolean, got "yes"',
    );
    const ids = decodeGenerationConfig({ eos_token_id: [2, -1] }, "g.json");
    expect(E.isLeft(ids) && ids.left.message).toMatch(/^Cannot read generation config g\.json: eos_token_id/);
  });
});

/** Each family's real tokenizer.json with its tokenizer_config.json, and what transformers' tokenizer does. */
const FAMILIES: ReadonlyArray<readonly [string, string, { addsBos: boolean; bos: number; eos: number }]> = [
  ["gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { addsBos: false, bos: 50256, eos: 50256 }],
  ["pythia.tokenizer.json", "pythia-70m.tokenizer_config.json", { addsBos: false, bos: 0, eos: 0 }],
  ["smollm2-instruct.tokenizer.json", "smollm2-135m-instruct.tokenizer_config.json", {
    addsBos: false,
    bos: 1,
    eos: 2,
  }],
  [
    "tinyllama-1.1b-chat-v0.6.tokenizer.json",
    "tinyllama-1.1b-chat-v0.6.tokenizer_config.json",
    { addsBos: true, bos: 1, eos: 2 },
  ],
];

describe("BOS where transformers' tokenizer puts it", () => {
  for (const [tok, cfg, want] of FAMILIES) {
    test(`${tok} with ${cfg}: adds BOS ${want.addsBos ? "yes" : "no"}, BOS ${want.bos}, EOS ${want.eos}`, () => {
      const t = right(decodeHfTokenizer(json(join(TOKENIZERS, tok)), json(join(CONFIGS, cfg)), tok));
      expect({ addsBos: t.addsBos, bos: t.bos, eos: t.eos }).toEqual(want);
      expect(promptIds(t, "Hi")[0] === t.bos).toBe(want.addsBos);
    });
  }
  test("add_bos_token overrides the template both ways (Llama's classes rebuild the template from it)", () => {
    const tl = json(join(TOKENIZERS, "tinyllama-1.1b-chat-v0.6.tokenizer.json"));
    expect(right(decodeHfTokenizer(tl, { add_bos_token: false }, "tl")).addsBos).toBe(false);
    const g = json(join(TOKENIZERS, "gpt2.tokenizer.json"));
    expect(right(decodeHfTokenizer(g, { add_bos_token: true }, "g")).addsBos).toBe(true);
  });
  test("a post-processor or decoder we cannot follow is refused with one line naming it", () => {
    const g = json(join(TOKENIZERS, "gpt2.tokenizer.json")) as Record<string, unknown>;
    const refusal = (extra: Record<string, unknown>) => {
      const r = decodeHfTokenizer({ ...g, ...extra }, {}, "t.json");
      return E.isLeft(r) ? r.left.message : "loaded";
    };
    expect(refusal({ post_processor: { type: "RobertaProcessing" } })).toBe(
      'Cannot load tokenizer t.json: its post_processor "RobertaProcessing" is not supported',
    );
    const eos = { type: "TemplateProcessing", single: [{ Sequence: { id: "A" } }, { SpecialToken: { id: "</s>" } }] };
    expect(refusal({ post_processor: eos })).toBe(
      'Cannot load tokenizer t.json: its post_processor TemplateProcessing "$A </s>" (only "[BOS] $A" is) is not supported',
    );
    expect(refusal({ decoder: { type: "Sequence", decoders: [{ type: "WordPiece" }] } })).toBe(
      'Cannot load tokenizer t.json: its decoder "WordPiece" is not supported',
    );
  });
  test("a template inside a Sequence post-processor (Llama 3's layout) is found", () => {
    const template = { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<|begin_of_text|>" } }] };
    expect(templateBos({ type: "Sequence", processors: [{ type: "ByteLevel" }, template] })).toBe("<|begin_of_text|>");
    expect(templateBos({ type: "ByteLevel" })).toBeUndefined();
    expect(templateBos(null)).toBeUndefined();
  });
});

describe("one rule for sample, eval and tokenize", () => {
  const tok = (addsBos: boolean): Tokenizer => ({
    vocabSize: 10,
    bos: 9,
    eos: 8,
    addsBos,
    encode: (s, o) => [...(o.bos ? [9] : []), ...[...s].map((c) => c.charCodeAt(0) % 8)],
    pieceBytes: () => new Uint8Array(0),
    decode: () => "",
  });
  test("a prompt starts with BOS only when the tokenizer adds it; an empty one is BOS alone", () => {
    expect(promptIds(tok(false), "ab")).toEqual([1, 2]);
    expect(promptIds(tok(true), "ab")).toEqual([9, 1, 2]);
    expect(promptIds(tok(false), "")).toEqual([9]);
  });
  test("a scored request reads BOS before its context on the same rule, and always before an empty context", () => {
    const enc = (s: string) => tok(false).encode(s, { bos: false, eos: false });
    const req = { context: "ab", continuation: "c" };
    expect(right(tokenRequest(enc, 9, 16, req, false)).input).toEqual(Int32Array.of(1, 2));
    expect(right(tokenRequest(enc, 9, 16, req, true)).input).toEqual(Int32Array.of(9, 1, 2));
    expect(right(tokenRequest(enc, 9, 16, { context: "", continuation: "c" }, false)).input).toEqual(Int32Array.of(9));
    expect(contextPrefix(tok(false), 0)).toEqual([9]);
  });
  test("a corpus marks documents with BOS when the tokenizer adds it, else with EOS after each", () => {
    expect([documentBoundary(tok(true)), documentBoundary(tok(false))]).toEqual(["bos", "eos"]);
  });
  test("generation stops at generation_config's eos ids, else the format's stops, else EOS", () => {
    expect(stopIds(tok(true), [3, 4])).toEqual([3, 4]);
    expect(stopIds({ ...tok(true), stops: [9, 8] }, [])).toEqual([9, 8]);
    expect(stopIds(tok(true), [])).toEqual([8]);
  });
});

describe("config files that are no JSON object", () => {
  test.each([["tokenizer config", decodeTokenizerConfig], ["generation config", decodeGenerationConfig]] as const)(
    "a %s that is an array is refused in one line naming the file",
    (what, decode) => {
      const r = decode([], "x/cfg.json");
      expect(E.isLeft(r) && r.left.message).toBe(`Cannot read ${what} x/cfg.json: it is not a JSON object`);
    },
  );
});
