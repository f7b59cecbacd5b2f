/**
 * GPT-2's byte-level BPE (Radford et al. 2019; openai/gpt-2 src/encoder.py), fast: split text with
 * GPT-2's regex, map each UTF-8 byte to its vocabulary id (bytes_to_unicode's stand-in character),
 * then merge adjacent ids by the rank of the pair in vocab.bpe, every occurrence of the best pair at
 * once, until no ranked pair is left. Pairs are looked up as integers (a·V + b), and each distinct
 * piece's ids are memoized: natural text repeats its pieces, so most pieces cost one Map lookup.
 * byte_bpe_reference.ts is the same algorithm over strings, the oracle of the tests.
 * Decoding maps the characters back to bytes, so decode(encode(s)) = s for every string of whole code points.
 * @module
 */
import { joinPieces, type Tokenizer } from "./tokenizer.ts";

export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** Pieces memoized at most; past it the memo starts again (the ids never depend on it). */
const MEMO_LIMIT = 1 << 18;

/** GPT-2's reversible byte → character table: printable bytes stand for themselves, the rest map to 256+. */
export const bytesToUnicode = (): ReadonlyArray<string> => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 256 + n++));
};

export interface ByteBpeFiles {
  readonly vocab: ReadonlyMap<string, number>; // encoder.json, ids distinct
  readonly merges: ReadonlyArray<readonly [string, string]>; // vocab.bpe, in rank order; joins are pieces
  readonly bos: number;
  readonly eos: number;
}

/**
 * The merges as integer pairs: (a·V + b) → rank, with the merged id at that rank. A later duplicate
 * wins, as in a Map built in rank order; a merge naming a part outside the vocabulary can never
 * apply (every symbol is a byte's piece or a merge's join), so it is left out.
 */
const mergeTable = ({ vocab, merges }: ByteBpeFiles, V: number) => {
  const rank = new Map<number, number>(), left = new Int32Array(merges.length), right = new Int32Array(merges.length);
  const joined = new Int32Array(merges.length);
  merges.forEach(([a, b], r) => {
    const ia = vocab.get(a), ib = vocab.get(b), m = vocab.get(a + b);
    if (ia === undefined || ib === undefined || m === undefined) return;
    [left[r], right[r], joined[r]] = [ia, ib, m];
    rank.set(ia * V + ib, r);
  });
  return { rank, left, right, joined };
};

export const byteBpeTokenizer = (files: ByteBpeFiles): Tokenizer => {
  const { vocab, bos, eos } = files, byteChar = bytesToUnicode();
  const charByte = new Map(byteChar.map((c, b) => [c, b]));
  const pieces: string[] = [];
  vocab.forEach((id, piece) => {
    pieces[id] = piece;
  });
  const V = pieces.length, table = mergeTable(files, V), byteId = byteChar.map((c) => vocab.get(c)!);
  const utf8 = new TextEncoder(), memo = new Map<string, ReadonlyArray<number>>();
  /** One piece's ids: its bytes' ids, merged best rank first (all occurrences, left to right). */
  const bpe = (piece: string): ReadonlyArray<number> => {
    const s = Array.from(utf8.encode(piece), (b) => byteId[b]!);
    let n = s.length;
    for (;;) {
      let best = Infinity;
      for (let i = 0; i + 1 < n; i++) {
        const r = table.rank.get(s[i]! * V + s[i + 1]!);
        if (r !== undefined && r < best) best = r;
      }
      if (best === Infinity) break;
      const a = table.left[best]!, b = table.right[best]!, m = table.joined[best]!;
      let w = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && s[i] === a && s[i + 1] === b) s[w++] = m, i++;
        else s[w++] = s[i]!;
      }
      n = w;
    }
    s.length = n;
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(piece, s);
    return s;
  };
  const encode = (text: string, opts: { readonly bos: boolean; readonly eos: boolean }): number[] => {
    const ids: number[] = opts.bos ? [bos] : [];
    for (const piece of text.match(GPT2_PATTERN) ?? []) {
      const got = memo.get(piece) ?? bpe(piece);
      for (let i = 0; i < got.length; i++) ids.push(got[i]!);
    }
    if (opts.eos) ids.push(eos);
    return ids;
  };
  const pieceBytes = (_prev: number, token: number): Uint8Array => {
    const p = pieces[token];
    return p === undefined ? new Uint8Array(0) : Uint8Array.from(Array.from(p), (c) => charByte.get(c) ?? 0x3f);
  };
  return {
    vocabSize: pieces.length,
    bos,
    eos,
    encode,
    pieceBytes,
    decode: (ids) => joinPieces({ pieceBytes }, ids.filter((i) => i !== bos && i !== eos), -1),
  };
};
