/**
 * llama2.c's encoder (run.c `encode`, SentencePiece-style BPE over piece scores), fast. The
 * algorithm: a dummy-prefix space, one token per UTF-8 character (byte fallback <0xXX> = id 3 + byte
 * where the character is not a piece), then repeatedly merge the adjacent pair whose joined piece
 * has the highest score, ties to the leftmost, until no adjacent pair joins into a piece.
 * Fast, with the same result:
 * - the text is cut into words before each space that follows a non-space, where the two bytes met
 *   there never stand side by side inside any piece: a merge across the cut would make a piece
 *   holding them, so none happens, and each word runs the same greedy on its own (the global best
 *   pair always is its own word's best, ties leftmost within it);
 * - each distinct word's ids are memoized (natural text repeats its words);
 * - a word merges with a heap of (score, position) over a linked list of ids, not by rescanning.
 * score_bpe_reference.ts is the plain algorithm, the oracle of the tests.
 * @module
 */
import { SpanMemo } from "./span_memo.ts";
import { IdSink } from "./tokenizer.ts";

export const BYTE0 = 3; // <0x00> is id 3 in llama2.c vocabularies
const MEMO_LIMIT = 1 << 18;

export interface ScoredVocab {
  readonly pieces: ReadonlyArray<Uint8Array>;
  readonly scores: ReadonlyArray<number>;
}

/** Bytes as a Map key (latin-1 code units). */
export const pieceKey = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};

/** adjacent[x·256 + y] = 1 when byte y follows byte x inside some piece. */
const adjacentBytes = (pieces: ReadonlyArray<Uint8Array>): Uint8Array => {
  const seen = new Uint8Array(65536);
  for (const p of pieces) for (let i = 0; i + 1 < p.length; i++) seen[p[i]! * 256 + p[i + 1]!] = 1;
  return seen;
};

/** Token ids of `text` without BOS/EOS (the plain form of scoreBpeSinkEncoder). */
export const scoreBpeEncoder = (v: ScoredVocab): (text: string) => number[] => {
  const into = scoreBpeSinkEncoder(v);
  return (text) => {
    const sink = new IdSink(text.length + 1);
    into(text, sink);
    return Array.from(sink.ids.subarray(0, sink.length));
  };
};

/** Token ids of `text` without BOS/EOS, written into a sink. */
export const scoreBpeSinkEncoder = (v: ScoredVocab): (text: string, sink: IdSink) => void => {
  const { pieces, scores } = v, V = pieces.length, ids = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (!ids.has(pieceKey(p))) ids.set(pieceKey(p), id);
  });
  const adjacent = adjacentBytes(pieces), utf8 = new TextEncoder();
  const charMemo = new Map<string, ReadonlyArray<number>>(), wordMemo = new SpanMemo<Int32Array>(MEMO_LIMIT);
  const pairMemo = new Map<number, number>();
  const charTokens = (ch: string): ReadonlyArray<number> => {
    let got = charMemo.get(ch);
    if (got === undefined) {
      const b = utf8.encode(ch), id = ids.get(pieceKey(b));
      got = id !== undefined ? [id] : Array.from(b, (x) => (x + BYTE0 < V ? x + BYTE0 : 0));
      charMemo.set(ch, got);
    }
    return got;
  };
  const joinOf = (a: number, b: number): number => {
    let id = pairMemo.get(a * V + b);
    if (id === undefined) {
      if (pairMemo.size >= MEMO_LIMIT) pairMemo.clear();
      pairMemo.set(a * V + b, id = ids.get(pieceKey(pieces[a]!) + pieceKey(pieces[b]!)) ?? -1);
    }
    return id;
  };
  const space = charTokens(" ");
  /** Whether a merge can never cross the cut between token `l` and token `r` (both pieces non-empty). */
  const cuttable = (l: number, r: number): boolean => {
    const pl = pieces[l]!, pr = pieces[r]!;
    return pl.length > 0 && pr.length > 0 && adjacent[pl[pl.length - 1]! * 256 + pr[0]!] === 0;
  };
  const word = (s: string, a: number, b: number): Int32Array => {
    const init: number[] = [];
    for (const ch of s.slice(a, b)) for (const t of charTokens(ch)) init.push(t);
    const out = mergeByScore(init, scores, joinOf);
    wordMemo.set(s, a, b, out);
    return out;
  };
  const prefix = ids.has(" ");
  // Whether a cut before a space is safe after the character whose last code unit is `c` (ASCII memoized).
  const asciiCut = new Int8Array(128).fill(-1);
  const cutAfter = (s: string, i: number): boolean => {
    const c = s.charCodeAt(i - 1);
    if (c < 128 && asciiCut[c]! >= 0) return asciiCut[c] === 1;
    const before = charTokens(lastChar(s, i)), ok = cuttable(before[before.length - 1]!, space[0]!);
    if (c < 128) asciiCut[c] = ok ? 1 : 0;
    return ok;
  };
  return (text, sink) => {
    if (text.length === 0) return;
    const s = prefix ? " " + text : text;
    let start = 0;
    for (let i = 1; i < s.length; i++) {
      if (s.charCodeAt(i) !== 0x20 || s.charCodeAt(i - 1) === 0x20 || !cutAfter(s, i)) continue;
      sink.pushAll(wordMemo.get(s, start, i) ?? word(s, start, i));
      start = i;
    }
    sink.pushAll(wordMemo.get(s, start, s.length) ?? word(s, start, s.length));
  };
};

/** The character (code point, or lone surrogate) that ends at index `i`. */
const lastChar = (s: string, i: number): string => {
  const lo = s.charCodeAt(i - 1), hi = i >= 2 ? s.charCodeAt(i - 2) : 0;
  return lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff ? s.slice(i - 2, i) : s.slice(i - 1, i);
};

/**
 * The greedy merge of one word: a max-heap of candidate pairs keyed by (score, left position), over
 * a linked list of the word's tokens; a popped entry whose pair has since changed is skipped.
 * Scores that are not above −∞ (or NaN) never win a merge, as in the plain scan.
 */
const mergeByScore = (
  init: ReadonlyArray<number>,
  scores: ReadonlyArray<number>,
  joinOf: (a: number, b: number) => number,
): Int32Array => {
  const n = init.length, tok = Int32Array.from(init), next = new Int32Array(n), prev = new Int32Array(n);
  for (let i = 0; i < n; i++) [next[i], prev[i]] = [i + 1 < n ? i + 1 : -1, i - 1];
  const heap = new PairHeap();
  const offer = (i: number) => {
    const j = next[i]!;
    if (j < 0) return;
    const id = joinOf(tok[i]!, tok[j]!);
    if (id >= 0 && scores[id]! > -Infinity) heap.push(scores[id]!, i, j, tok[i]!, tok[j]!, id);
  };
  for (let i = 0; i + 1 < n; i++) offer(i);
  while (heap.size > 0) {
    const e = heap.pop();
    if (tok[e.at] !== e.a || next[e.at] !== e.right || tok[e.right] !== e.b) continue; // stale
    tok[e.at] = e.joined;
    const after = next[e.right]!;
    next[e.at] = after;
    if (after >= 0) prev[after] = e.at;
    tok[e.right] = -1;
    if (prev[e.at]! >= 0) offer(prev[e.at]!);
    offer(e.at);
  }
  const out: number[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]!) out.push(tok[i]!);
  return Int32Array.from(out);
};

interface PairEntry {
  readonly score: number;
  readonly at: number;
  readonly right: number;
  readonly a: number;
  readonly b: number;
  readonly joined: number;
}

/** A binary max-heap: higher score first, then the smaller (leftmost) position. */
class PairHeap {
  private readonly items: PairEntry[] = [];
  get size(): number {
    return this.items.length;
  }
  push(score: number, at: number, right: number, a: number, b: number, joined: number): void {
    const h = this.items;
    h.push({ score, at, right, a, b, joined });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): PairEntry {
    const h = this.items, top = h[0]!, last = h.pop()!;
    if (h.length === 0) return top;
    h[0] = last;
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return top;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

const before = (x: PairEntry, y: PairEntry): boolean => x.score > y.score || (x.score === y.score && x.at < y.at);
