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
