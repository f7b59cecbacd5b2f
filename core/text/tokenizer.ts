/**
 * What every tokenizer offers the rest of the system, whatever its file format.
 * Pieces are bytes (byte-fallback tokens emit single bytes of a UTF-8 sequence), so text is made
 * by joining bytes and decoding UTF-8 once, never piece by piece.
 * @module
 */

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  /** Token ids of a text, with BOS/EOS as asked. */
  readonly encode: (text: string, opts: { readonly bos: boolean; readonly eos: boolean }) => ReadonlyArray<number>;
  /** The bytes `token` prints as when it follows `prev` (llama2.c strips a leading space after BOS). */
  readonly pieceBytes: (prev: number, token: number) => Uint8Array;
  /** The text of a whole id sequence (special tokens dropped), as the format's own decoder gives it. */
  readonly decode: (ids: ReadonlyArray<number>) => string;
}

/** A lone control byte (not whitespace) is not printed, as llama2.c's safe_printf. */
const printable = (piece: Uint8Array): boolean => {
  if (piece.length !== 1) return piece.length > 0;
  const b = piece[0]!;
  return b >= 0x20 ? b !== 0x7f : b >= 0x09 && b <= 0x0d;
};

/** Incremental detokenizer: feed ids, get the text they complete (UTF-8 sequences held until whole). */
export const textStream = (tok: Tokenizer, prev0: number) => {
  const utf8 = new TextDecoder("utf-8", { fatal: false });
  let prev = prev0;
  return {
    push(token: number): string {
      const piece = tok.pieceBytes(prev, token);
      prev = token;
      return printable(piece) ? utf8.decode(piece, { stream: true }) : "";
    },
    end(): string {
      return utf8.decode();
    },
  };
};

export const decodeText = (tok: Tokenizer, ids: ReadonlyArray<number>, prev0: number): string => {
  const s = textStream(tok, prev0);
  return ids.map((id) => s.push(id)).join("") + s.end();
};

/** All bytes of the pieces, joined, then UTF-8 decoded once (nothing is filtered: a whole-text decode). */
export const joinPieces = (tok: Pick<Tokenizer, "pieceBytes">, ids: ReadonlyArray<number>, prev0: number): string => {
  const parts = ids.map((id, i) => tok.pieceBytes(i === 0 ? prev0 : ids[i - 1]!, id));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (all.set(p, off), off + p.length), 0);
  return new TextDecoder("utf-8", { fatal: false }).decode(all);
};
