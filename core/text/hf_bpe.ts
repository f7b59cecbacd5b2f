/**
 * A Hugging Face tokenizer.json BPE pipeline, written from the algorithm: added tokens are matched
 * first (longest at each position, unnormalized ones on the raw text, normalized ones on the
 * normalized text), the rest is normalized, pre-tokenized (pre_tokenize.ts scanners), and each
 * pre-token is merged by the model: its characters (or, after ByteLevel, its UTF-8 bytes' stand-ins)
 * as integer symbols, the leftmost best-ranked pair merged one at a time (pair_merge.ts), each
 * result piece looked up, else spelled as <0xXX> byte tokens (byte_fallback), else <unk>; a run of
 * <unk> is fused into one (fuse_unk). The @huggingface/tokenizers library is the oracle of the
 * tests; where the library departs from the Rust original (Split behaviours other than Removed
 * are Isolated; Metaspace never splits; single_word is ignored), this follows the library, except
 * Digits, which splits on every numeric character (\p{N}) as the Rust original does (SmolLM2's "²"
 * and "½" are their own pre-tokens in transformers; the library splits on ASCII digits only).
 * Fast: each distinct pre-token's ids are memoized, and a long pre-token (SentencePiece style files
 * have no pre-tokenizer: a whole document is one) is cut into words before each word marker (▁)
 * that no merge joins to the character before it, so no merge crosses the cut and each word runs
 * the same merges in the same order on its own.
 * @module
 */
import { bytesToUnicode, MEMO_LIMIT } from "./byte_bpe.ts";
import { mergeByRank, pairTable } from "./pair_merge.ts";
import { type Emit, scanDigits, scanGpt2 } from "./pre_tokenize.ts";
import { SpanMemo } from "./span_memo.ts";
import type { IdSink } from "./tokenizer.ts";

export type NormalizerSpec =
  | { readonly kind: "unicode"; readonly form: "NFC" | "NFD" | "NFKC" | "NFKD" }
  | { readonly kind: "lowercase" | "strip_accents" }
  | { readonly kind: "prepend"; readonly prepend: string }
  | { readonly kind: "replace"; readonly pattern: string; readonly content: string }
  | { readonly kind: "strip"; readonly left: boolean; readonly right: boolean }
  | { readonly kind: "sequence"; readonly parts: ReadonlyArray<NormalizerSpec> };

export type PreTokenizerSpec =
  | { readonly kind: "byte_level"; readonly addPrefixSpace: boolean; readonly useRegex: boolean }
  | { readonly kind: "digits"; readonly individual: boolean }
  /** matches: only the matches (invert); split: String.split; isolated: matches and the text between. */
  | { readonly kind: "split"; readonly pattern: RegExp; readonly mode: "matches" | "split" | "isolated" }
  | {
    readonly kind: "metaspace";
    readonly replacement: string;
    readonly strRep: string;
    readonly prepend: "always" | "first" | "never";
  }
  | { readonly kind: "sequence"; readonly parts: ReadonlyArray<PreTokenizerSpec> };

export interface AddedTokenSpec {
  readonly content: string;
  readonly id: number;
  readonly special: boolean;
  readonly normalized: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export interface HfBpeSpec {
  readonly vocab: ReadonlyMap<string, number>; // model.vocab
  readonly merges: ReadonlyArray<readonly [string, string]>; // in rank order
  readonly unk: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  readonly added: ReadonlyArray<AddedTokenSpec>;
  readonly normalizer: NormalizerSpec | null;
  /** ByteLevel, if present, is the last step (the adapter refuses it elsewhere). */
  readonly preTokenizer: PreTokenizerSpec | null;
  readonly removeSpace: boolean; // tokenizer_config.json's remove_space
  readonly lowercaseAndRemoveAccent: boolean; // tokenizer_config.json's do_lowercase_and_remove_accent
}

const UNK_BIT = 1 << 30; // marks an id the model emitted as unknown, for fuse_unk (ids are below 2^30)
const CUT_MIN = 24; // pre-tokens at least this long are cut into words (shorter ones: not worth the scan)

export const normalizerOf = (n: NormalizerSpec | null): ((s: string) => string) | null => {
  if (n === null) return null;
  switch (n.kind) {
    case "unicode":
      return (s) => s.normalize(n.form);
    case "lowercase":
      return (s) => s.toLowerCase();
    case "strip_accents":
      return (s) => s.replace(/\p{M}/gu, "");
    case "prepend":
      return (s) => n.prepend + s;
    case "replace":
      return (s) => s.replaceAll(n.pattern, n.content);
    case "strip":
      return (s) => (n.left && n.right ? s.trim() : n.left ? s.trimStart() : n.right ? s.trimEnd() : s);
    case "sequence": {
      const parts = n.parts.map(normalizerOf).filter((f) => f !== null);
      return (s) => parts.reduce((t, f) => f(t), s);
    }
  }
};

type Stage = (s: string, a: number, b: number, section: number, emit: Emit) => void;

/** Whether the pre-tokenizer ends in ByteLevel (pieces are then UTF-8 bytes, not characters). */
export const endsInByteLevel = (p: PreTokenizerSpec | null): boolean =>
  p !== null && (p.kind === "byte_level" || (p.kind === "sequence" && endsInByteLevel(p.parts.at(-1) ?? null)));

/** Pieces between and including the matches of a global regex, none empty (the library's regex_split). */
const isolated = (t: string, re: RegExp, emit: Emit) => {
  let prev = 0;
  for (const m of t.matchAll(re)) {
    if (prev < m.index) emit(t, prev, m.index);
    if (m[0].length > 0) emit(t, m.index, m.index + m[0].length);
    prev = m.index + m[0].length;
  }
  if (prev < t.length) emit(t, prev, t.length);
};

const stageOf = (p: PreTokenizerSpec): Stage => {
  switch (p.kind) {
    case "byte_level":
      return (s, a, b, _section, emit) => {
        const [t, x, y] = p.addPrefixSpace && !(b > a && s.charCodeAt(a) === 0x20)
          ? [" " + s.slice(a, b), 0, b - a + 1]
          : [s, a, b];
        if (p.useRegex) scanGpt2(t, x, y, emit);
        else emit(t, x, y);
      };
    case "digits": {
      const scan = scanDigits(p.individual);
      return (s, a, b, _section, emit) => scan(s, a, b, emit);
    }
    case "split":
      return (s, a, b, _section, emit) => {
        const t = s.slice(a, b);
        if (p.mode === "isolated") return isolated(t, p.pattern, emit);
        const parts = p.mode === "matches" ? t.match(p.pattern) ?? [] : t.split(p.pattern);
        for (const x of parts) if (x) emit(x, 0, x.length);
      };
    case "metaspace":
      return (s, a, b, section, emit) => {
        let t = s.slice(a, b).replaceAll(" ", p.strRep);
        const prepend = p.prepend === "always" || (p.prepend === "first" && section === 0);
        if (!t.startsWith(p.replacement) && prepend) t = p.strRep + t;
        emit(t, 0, t.length);
      };
    case "sequence": {
      const stages = p.parts.map(stageOf);
      return stages.reduceRight<Stage>(
        (rest, stage) => (s, a, b, section, emit) =>
          stage(s, a, b, section, (s2, a2, b2) => rest(s2, a2, b2, section, emit)),
        (s, a, b, _section, emit) => emit(s, a, b),
      );
    }
  }
};

interface TrieNode {
  readonly next: Map<number, TrieNode>;
  end: string | undefined;
}

/** The library's added-token split: at each position the longest token starting there, else move on. */
const splitter = (tokens: ReadonlyArray<string>) => {
  const root: TrieNode = { next: new Map(), end: undefined }, first = new Uint8Array(65536);
  for (const t of tokens) {
    if (t.length === 0) continue;
    let node = root;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      let n = node.next.get(c);
      if (n === undefined) node.next.set(c, n = { next: new Map(), end: undefined });
      node = n;
    }
    node.end = t;
    first[t.charCodeAt(0)] = 1;
  }
  return (text: string): string[] => {
    if (root.next.size === 0) return [text];
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length;) {
      let node: TrieNode | undefined = root, match: string | undefined;
      if (first[text.charCodeAt(i)] === 1) {
        for (let j = i; j < text.length && (node = node.next.get(text.charCodeAt(j))) !== undefined; j++) {
          if (node.end !== undefined) match = node.end;
        }
      }
      if (match === undefined) {
        i++;
        continue;
      }
      if (i > start) out.push(text.slice(start, i));
      out.push(match);
      i += match.length;
      start = i;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  };
};

/** lstrip/rstrip: an added token trims the whitespace of its neighbours (in place, as the library). */
const stripAround = (parts: string[], added: ReadonlyMap<string, AddedTokenSpec>) => {
  parts.forEach((p, i) => {
    const t = added.get(p);
    if (t === undefined) return;
    if (t.lstrip && i > 0) parts[i - 1] = parts[i - 1]!.trimEnd();
    if (t.rstrip && i < parts.length - 1) parts[i + 1] = parts[i + 1]!.trimStart();
  });
};

/** The model: symbols, merges, each piece's output ids (UNK_BIT marks unknowns), the memo. */
const bpeModel = (spec: HfBpeSpec, tokensToIds: ReadonlyMap<string, number>, finalId: (t: string) => number) => {
  const unkId = spec.unk === null ? undefined : spec.vocab.get(spec.unk);
  const symOf = new Map<string, number>(), symStr: string[] = [];
  const sym = (s: string) => {
    let k = symOf.get(s);
    if (k === undefined) symOf.set(s, k = symStr.push(s) - 1);
    return k;
  };
  for (const t of tokensToIds.keys()) sym(t);
  const triples = spec.merges.map(([a, b]): [number, number, number] => [sym(a), sym(b), sym(a + b)]);
  const table = pairTable(symStr.length, triples);
  const emitted = (t: string) => finalId(t) | ((tokensToIds.get(t) ?? unkId) === unkId ? UNK_BIT : 0);
  const utf8 = new TextEncoder();
  const hex = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
  /** What the model emits for a piece it made (or an unknown character). */
  const outputOf = (piece: string): ReadonlyArray<number> => {
    if (tokensToIds.has(piece)) return [emitted(piece)];
    if (spec.byteFallback) {
      const bytes = Array.from(utf8.encode(piece), hex);
      if (bytes.every((x) => tokensToIds.has(x))) return bytes.map(emitted);
    }
    return spec.unk !== null ? [emitted(spec.unk)] : [];
  };
  const symOut: Array<ReadonlyArray<number> | undefined> = [];
  const byteSym = bytesToUnicode().map((c) => symOf.get(c) ?? -1), byteChar = bytesToUnicode();
  /** Ids of one word (characters, or UTF-8 bytes' stand-ins in byte mode). */
  const merge = (word: string, bytes: boolean): Int32Array => {
    const unknown: string[] = [];
    let s: Int32Array;
    if (bytes) {
      const b = utf8.encode(word);
      s = new Int32Array(b.length);
      for (let i = 0; i < b.length; i++) {
        s[i] = byteSym[b[i]!]! >= 0 ? byteSym[b[i]!]! : -unknown.push(byteChar[b[i]!]!);
      }
    } else {
      const chars = Array.from(word);
      s = new Int32Array(chars.length);
      chars.forEach((c, i) => (s[i] = symOf.get(c) ?? -unknown.push(c)));
    }
    const n = mergeByRank(table, s, s.length, false), out: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = s[i]!;
      for (const id of k >= 0 ? (symOut[k] ??= outputOf(symStr[k]!)) : outputOf(unknown[-k - 1]!)) out.push(id);
    }
    return Int32Array.from(out);
  };
  return { merge, emitted };
};

/** The encoder of a tokenizer.json BPE file: ids of `text` written into a sink (no BOS/EOS). */
export const hfBpeEncoder = (spec: HfBpeSpec): (text: string, sink: IdSink) => void => {
  const tokensToIds = new Map(spec.vocab), normalize = normalizerOf(spec.normalizer);
  for (const t of spec.added) tokensToIds.set(t.content, t.id);
  const addedBy = new Map<string, AddedTokenSpec>(), raw: string[] = [], normalized: string[] = [];
  for (const t of spec.added) {
    addedBy.set(t.content, t);
    if (t.normalized && normalize !== null) {
      const c = normalize(t.content);
      normalized.push(c);
      addedBy.set(c, t);
    } else raw.push(t.content);
  }
  const finalId = (t: string) => addedBy.get(t)?.id ?? tokensToIds.get(t)!;
  const model = bpeModel(spec, tokensToIds, finalId);
  const splitRaw = splitter(raw), splitNormalized = splitter(normalized);
  const bytes = endsInByteLevel(spec.preTokenizer), memo = new SpanMemo<Int32Array>(MEMO_LIMIT);
  const pre = spec.preTokenizer === null ? null : stageOf(spec.preTokenizer);
  const wordCuts = !bytes && !spec.ignoreMerges ? markerCuts(spec) : null;

  let sink: IdSink, lastUnk = false;
  const put = (ids: Int32Array) => {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (v < UNK_BIT) {
        sink.push(v);
        lastUnk = false;
      } else if (!(spec.fuseUnk && lastUnk)) {
        sink.push(v - UNK_BIT);
        lastUnk = true;
      }
    }
  };
  const word = (s: string, a: number, b: number) => {
    let ids = memo.get(s, a, b);
    if (ids === undefined) memo.set(s, a, b, ids = model.merge(s.slice(a, b), bytes));
    put(ids);
  };
  const piece = (s: string, a: number, b: number) => {
    if (b <= a) return;
    if (spec.ignoreMerges) {
      const p = s.slice(a, b),
        whole = bytes ? Array.from(new TextEncoder().encode(p), (x) => BYTE_CHARS[x]).join("") : p;
      if (tokensToIds.has(whole)) return put(Int32Array.of(model.emitted(whole)));
    }
    if (wordCuts === null || b - a < CUT_MIN) return word(s, a, b);
    wordCuts(s, a, b, word);
  };
  const encodeSection = (text: string, section: number) => {
    if (text.length === 0) return;
    const got = addedBy.get(text);
    if (got !== undefined) return void sink.push(got.id);
    let t = text;
    if (spec.removeSpace) t = t.trim().split(/\s+/).join(" ");
    if (spec.lowercaseAndRemoveAccent) t = t.toLowerCase().replace(/\p{M}/gu, "");
    if (normalize !== null) t = normalize(t);
    if (t.length === 0) return;
    const subs = splitNormalized(t);
    if (subs.length > 1) stripAround(subs, addedBy);
    for (const sub of subs) {
      if (sub.length === 0) continue;
      const tok = addedBy.get(sub);
      if (tok !== undefined) {
        sink.push(tok.id);
        continue;
      }
      lastUnk = false; // the model runs on each subsection: unknowns fuse within one only
      if (pre === null) piece(sub, 0, sub.length);
      else pre(sub, 0, sub.length, section, piece);
    }
  };
  return (text, into) => {
    sink = into;
    const sections = splitRaw(text);
    if (sections.length > 1) stripAround(sections, addedBy);
    sections.forEach(encodeSection);
  };
};

const BYTE_CHARS = bytesToUnicode();

/**
 * Cutting a long pre-token into words before each marker (▁, or Metaspace's replacement) where no
 * merge (a, b) has b starting with the marker and a ending with the character before it.
 */
const markerCuts = (spec: HfBpeSpec) => {
  const markers = new Set([0x2581]);
  const visit = (p: PreTokenizerSpec | null): void => {
    if (p?.kind === "metaspace" && p.replacement.length === 1) markers.add(p.replacement.charCodeAt(0));
    if (p?.kind === "sequence") p.parts.forEach(visit);
  };
  visit(spec.preTokenizer);
  // which[c] = 1 + the marker's index when code unit c is a marker; blocked[k] holds the characters a
  // merge joins to marker k from the left (a flag per BMP character, a set for the rest)
  const which = new Uint8Array(65536), list = [...markers];
  list.forEach((m, k) => (which[m] = k + 1));
  const blocked = list.map(() => ({ bmp: new Uint8Array(65536), astral: new Set<number>() }));
  for (const [a, b] of spec.merges) {
    const k = b.length > 0 ? which[b.charCodeAt(0)]! : 0;
    if (k === 0 || a.length === 0) continue;
    const cp = a.codePointAt(a.length - (isLowSurrogate(a, a.length - 1) ? 2 : 1))!;
    if (cp < 65536) blocked[k - 1]!.bmp[cp] = 1;
    else blocked[k - 1]!.astral.add(cp);
  }
  return (s: string, a: number, b: number, word: (s: string, a: number, b: number) => void) => {
    let start = a;
    for (let i = a + 1; i < b; i++) {
      const k = which[s.charCodeAt(i)]!;
      if (k === 0) continue;
      const prev = s.codePointAt(i - (isLowSurrogate(s, i - 1) && i - 2 >= a ? 2 : 1))!;
      const set = blocked[k - 1]!;
      if (prev < 65536 ? set.bmp[prev] === 1 : set.astral.has(prev)) continue;
      word(s, start, i);
      start = i;
    }
    word(s, start, b);
  };
};

const isLowSurrogate = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
};
