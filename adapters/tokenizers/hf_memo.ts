/**
 * A memo in front of @huggingface/tokenizers' BPE model, so a corpus is encoded at the speed of its
 * pre-tokenizer. The library's model encodes each pre-token on its own (merges by rank, then byte
 * fallback or <unk> per piece; fuse_unk runs after, over the whole list, and stays there), so a
 * pre-token's pieces can be memoized by its text. A pre-token is also cut into words before each
 * "▁" or "Ġ" (SentencePiece and byte-level word starts) not at its start, where no merge joins a left part ending in that character to a right part starting with the marker: no
 * merge can then cross the cut, and each side runs the same merges in the same (rank, leftmost)
 * order on its own. Llama-style tokenizer.json files have no pre-tokenizer (a whole document is one
 * pre-token), so this is what makes them fast. The cut is skipped where it could change the result:
 * end_of_word_suffix, continuing_subword_suffix and ignore_merges look at the whole pre-token.
 * @module
 */
import * as library from "@huggingface/tokenizers";
import type { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";

// Exported by the library's module, though not by its type declarations.
const ByteLevelPreTokenizer = (library as unknown as { ByteLevelPreTokenizer: abstract new (...a: never[]) => unknown })
  .ByteLevelPreTokenizer;

const MEMO_LIMIT = 1 << 18;
const MARKERS = ["\u2581", "\u0120"]; // ▁, Ġ

interface BpeModel {
  encode: (tokens: ReadonlyArray<string>) => string[];
  merges?: ReadonlyArray<readonly [string, string]>;
  end_of_word_suffix?: string | null;
  continuing_subword_suffix?: string | null;
  ignore_merges?: boolean;
}

const lastCodePoint = (s: string): string => Array.from(s).pop() ?? "";

/** For each marker, the characters a merge joins it to from the left (a cut after them is unsafe). */
const joinedBefore = (merges: ReadonlyArray<readonly [string, string]>): Map<string, Set<string>> => {
  const out = new Map(MARKERS.map((m) => [m, new Set<string>()]));
  for (const [a, b] of merges) {
    const set = out.get(Array.from(b)[0] ?? "");
    if (set !== undefined) set.add(lastCodePoint(a));
  }
  return out;
};

/** Cut a pre-token into words at the safe marker positions. */
const cutter = (blocked: Map<string, Set<string>>) => (s: string): string[] => {
  const words: string[] = [];
  let start = 0, prev = "";
  for (let i = 0; i < s.length;) {
    const ch = String.fromCodePoint(s.codePointAt(i)!), set = blocked.get(ch);
    if (set !== undefined && i > start && !set.has(prev)) words.push(s.slice(start, i)), start = i;
    prev = ch;
    i += ch.length;
  }
  words.push(s.slice(start));
  return words;
};

interface ByteLevelPre {
  pre_tokenize_text: (text: string, options?: unknown) => string[];
  tokenizers?: ReadonlyArray<ByteLevelPre | null>; // a Sequence's parts
  add_prefix_space?: boolean;
  use_regex?: boolean;
  pattern?: RegExp;
  byte_encoder?: Record<number, string>;
}

/**
 * The ByteLevel pre-tokenizers (alone or in a Sequence), with each regex piece's byte-character
 * form memoized: the library's own steps (prefix space, its regex, UTF-8 bytes to its characters),
 * the last of which was most of its time.
 */
const memoizeByteLevel = (pre: ByteLevelPre | null | undefined): void => {
  if (pre === null || pre === undefined) return;
  for (const part of pre.tokenizers ?? []) memoizeByteLevel(part);
  const { pattern, byte_encoder: table } = pre;
  if (!(pre instanceof ByteLevelPreTokenizer) || !(pattern instanceof RegExp) || table === undefined) return;
  const utf8 = new TextEncoder(), memo = new Map<string, string>();
  const chars = (piece: string): string => {
    let got = memo.get(piece);
    if (got === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(piece, got = Array.from(utf8.encode(piece), (b) => table[b]).join(""));
    }
    return got;
  };
  pre.pre_tokenize_text = (text) => {
    const t = pre.add_prefix_space === true && !text.startsWith(" ") ? " " + text : text;
    return (pre.use_regex !== false ? t.match(pattern) ?? [] : [t]).map(chars);
  };
};

/** Memoize the library tokenizer's model and byte-level pre-tokenizer in place (same pieces for every input). */
export const memoizeBpeModel = (hf: HfTokenizer): HfTokenizer => {
  memoizeByteLevel((hf as unknown as { pre_tokenizer: ByteLevelPre | null }).pre_tokenizer);
  const model = (hf as unknown as { model: BpeModel }).model;
  if (typeof model?.encode !== "function" || !Array.isArray(model.merges)) return hf;
  const whole = Boolean(model.end_of_word_suffix) || Boolean(model.continuing_subword_suffix) ||
    model.ignore_merges === true;
  const cut = whole ? (s: string) => [s] : cutter(joinedBefore(model.merges));
  const original = model.encode.bind(model), memo = new Map<string, ReadonlyArray<string>>();
  const piecesOf = (word: string): ReadonlyArray<string> => {
    let got = memo.get(word);
    if (got === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(word, got = original([word]));
    }
    return got;
  };
  model.encode = (tokens) => {
    const out: string[] = [];
    for (const t of tokens) for (const w of cut(t)) for (const p of piecesOf(w)) out.push(p);
    return out;
  };
  return hf;
};
