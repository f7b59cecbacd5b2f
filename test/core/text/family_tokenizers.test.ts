/**
 * Pythia's (GPT-NeoX-20B's) and SmolLM2's real tokenizer.json files encode as their specification says,
 * checked against plain references built here from the spec, not from hf_bpe.ts nor the library:
 * - Pythia: NFC, then its added tokens matched first, longest at each position (<|endoftext|>,
 *   <|padding|> and the 23 runs of 2 to 24 spaces, ids 50276 down to 50254), the rest GPT-2's regex and
 *   byte-level merges (core/text/byte_bpe_reference.ts, GPT-2's algorithm) with Pythia's vocab and merges.
 * - SmolLM2: its 17 special tokens first, then Digits(individual_digits): every numeric character (Rust's
 *   char::is_numeric, general category N) a piece of its own, each other run GPT-2's regex and merges.
 * Plus ids justified by hand from the files (whole words in the vocabulary; GPT-NeoX's published
 * "Hello world" = [12092, 1533]), special tokens, and decode(encode(s)) = s (NFC(s) for Pythia), whole
 * and streamed piece by piece.
 */
import { fc, test } from "@fast-check/vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { decodeHfTokenizer } from "../../../adapters/tokenizers/hf.ts";
import { byteBpeReference } from "../../../core/text/byte_bpe_reference.ts";
import { decodeText, type Tokenizer } from "../../../core/text/tokenizer.ts";
import { ROOT } from "../../runtimes.ts";
import { right } from "../../tmp.ts";

const none = { bos: false, eos: false };
type Json = {
  model: { vocab: Record<string, number>; merges: string[] };
  added_tokens: Array<{ id: number; content: string }>;
};
const load = (name: string) => {
  const path = join(ROOT, "assets/tokenizers", name), json = JSON.parse(readFileSync(path, "utf8")) as Json;
  const vocab = new Map(Object.entries(json.model.vocab));
  const merges = json.model.merges.map((m) => m.split(" ", 2) as [string, string]);
  const tok = right(decodeHfTokenizer(json, {}, name));
  return { tok, vocab, added: json.added_tokens, bpe: byteBpeReference({ vocab, merges, bos: 0, eos: 0 }) };
};

/** Sections of text split at added tokens, longest match at each position (the spec's added-vocabulary pass). */
const splitAdded = (text: string, added: ReadonlyArray<{ id: number; content: string }>) => {
  const out: Array<string | number> = [];
  let plain = "";
  for (let i = 0; i < text.length;) {
    const hit = added.filter((t) =>
      text.startsWith(t.content, i)
    ).sort((a, b) => b.content.length - a.content.length)[0];
    if (hit === undefined) {
      plain += text[i++];
      continue;
    }
    if (plain !== "") out.push(plain), plain = "";
    out.push(hit.id);
    i += hit.content.length;
  }
  if (plain !== "") out.push(plain);
  return out;
};

const PARTS = [
  "Hello",
  " world",
  " the",
  "'s",
  " don't",
  "2024",
  " 3.14159",
  "1,000,000",
  "x²",
  " ½",
  " ٣٤",
  "Ⅻ",
  " ",
  "  ",
  "   ",
  " ".repeat(24),
  " ".repeat(30),
  "\n",
  "\n\n",
  "\t",
  " \n ",
  "é",
  "e\u0301",
  "naïve café",
  "日本語",
  "🤗",
  "👍🏽",
  "\u00a0",
  "<|endoftext|>",
  "<|padding|>",
  "<|im_start|>",
  "<|im_end|>",
  "<filename>",
];
const arbText = fc.oneof(
  fc.array(fc.constantFrom(...PARTS), { maxLength: 16 }).map((p) => p.join("")),
  fc.string({ unit: "grapheme", maxLength: 30 }),
);
/** The text without any added token's content, so that decode (which drops special tokens) can give it back. */
const arbPlain = (added: ReadonlyArray<{ content: string }>) =>
  arbText.map((s) => added.filter((t) => t.content.trim() !== "").reduce((x, t) => x.replaceAll(t.content, ""), s));

const roundTrips = (tok: Tokenizer, s: string, want: string) => {
  const ids = tok.encode(s, none);
  expect(ids.length === 0 ? "" : tok.decode(ids)).toBe(want);
  expect(decodeText(tok, ids, -1)).toBe(want.replace(/[\x00-\x08\x0e-\x1f\x7f]/g, "")); // streamed: lone control bytes hidden
};

describe("Pythia's tokenizer.json (GPT-NeoX-20B BPE)", () => {
  const p = load("pythia.tokenizer.json");
  const reference = (s: string) =>
    splitAdded(s.normalize("NFC"), p.added).flatMap((x) => (typeof x === "number" ? [x] : p.bpe.encode(x, none)));
  test.prop([arbText], { numRuns: 200 })("for any string, the ids of the plain reference built from the spec", (s) => {
    expect(p.tok.encode(s, none)).toEqual(reference(s));
  });
  test("'Hello world' is GPT-NeoX's published [12092, 1533], the whole words Hello and Ġworld", () => {
    expect(p.tok.encode("Hello world", none)).toEqual([12092, 1533]);
    expect([p.vocab.get("Hello"), p.vocab.get("\u0120world")]).toEqual([12092, 1533]);
  });
  test("a run of k spaces between words is the added token of k spaces (id 50278 - k), longest first past 24", () => {
    const a = p.vocab.get("a")!, b = p.vocab.get("b")!;
    for (let k = 2; k <= 24; k++) expect(p.tok.encode(`a${" ".repeat(k)}b`, none)).toEqual([a, 50278 - k, b]);
    expect(p.tok.encode(`a${" ".repeat(30)}b`, none)).toEqual([a, 50254, 50272, b]); // 24 + 6
    expect(p.tok.encode("a b", none)).toEqual([a, p.vocab.get("\u0120b")]); // one space is Ġ, not an added token
  });
  test("special tokens: <|endoftext|> is 0 and <|padding|> 1, wherever they stand", () => {
    const x = p.vocab.get("x")!, y = p.vocab.get("y")!;
    expect(p.tok.encode("<|endoftext|>", none)).toEqual([0]);
    expect(p.tok.encode("x<|padding|>y<|endoftext|>", none)).toEqual([x, 1, y, 0]);
  });
  test.prop([arbPlain(p.added)], { numRuns: 150 })(
    "for any text, decode(encode(s)) = NFC(s), whole and streamed",
    (s) => {
      roundTrips(p.tok, s, s.normalize("NFC"));
    },
  );
});

describe("SmolLM2's tokenizer.json (Digits, then byte-level BPE)", () => {
  const m = load("smollm2-instruct.tokenizer.json");
  const digits = (s: string) => s.match(/\p{N}|\P{N}+/gu) ?? []; // Rust's Digits(individual_digits = true)
  const reference = (s: string) =>
    splitAdded(s, m.added).flatMap((
      x,
    ) => (typeof x === "number" ? [x] : digits(x).flatMap((d) => m.bpe.encode(d, none))));
  test.prop([arbText], { numRuns: 200 })("for any string, the ids of the plain reference built from the spec", (s) => {
    expect(m.tok.encode(s, none)).toEqual(reference(s));
  });
  test("every digit is its own token: 2024 is 2, 0, 2, 4, and ' 3.14' is Ġ, 3, ., 1, 4", () => {
    const id = (c: string) => m.vocab.get(c)!;
    expect(m.tok.encode("2024", none)).toEqual(["2", "0", "2", "4"].map(id));
    expect(m.tok.encode(" 3.14", none)).toEqual(["\u0120", "3", ".", "1", "4"].map(id));
    expect(m.tok.encode("Hello world", none)).toEqual([id("Hello"), id("\u0120world")]); // whole words of the vocab
  });
  test("a non-ASCII numeric (' ½', '٣٤') is a piece of its own, as Rust's char::is_numeric splits it", () => {
    const pieces = (xs: string[]) => xs.flatMap((d) => m.bpe.encode(d, none));
    expect(m.tok.encode(" ½", none)).toEqual(pieces([" ", "½"]));
    expect(m.tok.encode("٣٤", none)).toEqual(pieces(["٣", "٤"]));
    // GPT-2's regex alone (an ASCII-only Digits, as the JS library has) keeps " ½" whole: other ids
    expect(m.bpe.encode(" ½", none)).not.toEqual(pieces([" ", "½"]));
  });
  test("the chat tokens are single ids: <|im_start|> 1, <|im_end|> 2, <|endoftext|> 0", () => {
    const inner = "user\nHi there";
    expect(m.tok.encode(`<|im_start|>${inner}<|im_end|><|endoftext|>`, none)).toEqual([1, ...reference(inner), 2, 0]);
  });
  test.prop([arbPlain(m.added)], { numRuns: 150 })("for any text, decode(encode(s)) = s, whole and streamed", (s) => {
    roundTrips(m.tok, s, s);
  });
});
