/**
 * GPT-2's byte-level BPE (Radford et al. 2019; openai/gpt-2 src/encoder.py), fast: split text with
 * GPT-2's pattern (scanGpt2, the regex written out as a scanner), map each UTF-8 byte to its
 * vocabulary id (bytes_to_unicode's stand-in character), then merge adjacent ids by the rank of the
 * pair in vocab.bpe, every occurrence of the best pair at once, until no ranked pair is left
 * (pair_merge.ts). Each distinct piece's ids are memoized: natural text repeats its pieces, so most
 * pieces cost one Map lookup, and ids are written into a sink, not a number[] per document.
 * byte_bpe_reference.ts is the same algorithm over strings, the oracle of the tests.
 * Decoding maps the characters back to bytes, so decode(encode(s)) = s for every string of whole code points.
 * @module
 */
import { mergeByRank, pairTable } from "./pair_merge.ts";
import { scanGpt2 } from "./pre_tokenize.ts";
import { SpanMemo } from "./span_memo.ts";
import { encodeViaSink, IdSink, joinPieces, type SinkEncoder, type Tokenizer } from "./tokenizer.ts";

export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** Pieces memoized at most; past it the memo starts again (the ids never depend on it). */
export const MEMO_LIMIT = 1 << 18;

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

const lazy = <A>(make: () => A): () => A => {
  let a: A | undefined;
  return () => (a ??= make());
};

export const byteBpeTokenizer = (files: ByteBpeFiles): Tokenizer => {
  const { vocab, bos, eos } = files, byteChar = bytesToUnicode();
  const charByte = new Map(byteChar.map((c, b) => [c, b]));
  const pieces: string[] = [];
  vocab.forEach((id, piece) => {
    pieces[id] = piece;
  });
  const V = pieces.length, byteId = byteChar.map((c) => vocab.get(c)!);
  // A merge naming a part outside the vocabulary can never apply (every symbol is a byte's piece or a join).
  const table = lazy(() =>
    pairTable(V, files.merges.map(([a, b]) => [vocab.get(a) ?? -1, vocab.get(b) ?? -1, vocab.get(a + b) ?? -1]))
  ); // built on first use: a thread that only hands documents to workers never needs it
  const utf8 = new TextEncoder(), memo = new SpanMemo<Int32Array>(MEMO_LIMIT);
  /** One piece's ids: its bytes' ids, merged best rank first (all occurrences, left to right). */
  const bpe = (text: string, a: number, b: number): Int32Array => {
    const bytes = utf8.encode(text.slice(a, b)), s = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) s[i] = byteId[bytes[i]!]!;
    const out = s.slice(0, mergeByRank(table(), s, s.length, true));
    memo.set(text, a, b, out);
    return out;
  };
  let sink = new IdSink();
  const emit = (s: string, a: number, b: number) => sink.pushAll(memo.get(s, a, b) ?? bpe(s, a, b));
  const encodeInto: SinkEncoder["encodeInto"] = (text, opts, into) => {
    sink = into;
    if (opts.bos) into.push(bos);
    scanGpt2(text, 0, text.length, emit);
    if (opts.eos) into.push(eos);
  };
  const pieceBytes = (_prev: number, token: number): Uint8Array => {
    const p = pieces[token];
    return p === undefined ? new Uint8Array(0) : Uint8Array.from(Array.from(p), (c) => charByte.get(c) ?? 0x3f);
  };
  return {
    vocabSize: pieces.length,
    bos,
    eos,
    addsBos: false, // GPT-2's encoder.json + vocab.bpe: transformers' GPT2Tokenizer adds no BOS
    encode: encodeViaSink(encodeInto),
    encodeInto,
    pieceBytes,
    decode: (ids) => joinPieces({ pieceBytes }, ids.filter((i) => i !== bos && i !== eos), -1),
  };
};
