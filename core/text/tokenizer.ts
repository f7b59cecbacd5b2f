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
  /**
   * Whether a text, as the model reads it, starts with BOS: the tokenizer's own convention, what
   * transformers' `encode(text)` does (tokenizer_config.json's add_bos_token, else tokenizer.json's
   * post-processor; GPT-2: no, Llama: `<s>`; llama2.c's run.c: yes). Sample, eval and tokenize all
   * follow it (core/text/conventions.ts).
   */
  readonly addsBos: boolean;
  /** Ids generation stops at by the format's convention, when not just EOS (llama2.c's run.c: BOS). */
  readonly stops?: ReadonlyArray<number>;
  /** Token ids of a text, with BOS/EOS as asked. */
  readonly encode: (text: string, opts: { readonly bos: boolean; readonly eos: boolean }) => ReadonlyArray<number>;
  /** The bytes `token` prints as when it follows `prev` (llama2.c strips a leading space after BOS). */
  readonly pieceBytes: (prev: number, token: number) => Uint8Array;
  /** The text of a whole id sequence (special tokens dropped), as the format's own decoder gives it. */
  readonly decode: (ids: ReadonlyArray<number>) => string;
  /** The same ids as `encode`, written into a sink (fast encoders have it). */
  readonly encodeInto?: SinkEncoder["encodeInto"];
  /** Something the caller may want to print, e.g. that a slower fallback encodes this file. */
  readonly note?: string;
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

/**
 * A growing buffer of ids, what the fast encoders write into (no number[] per document): `ids`
 * holds `length` ids; `take` hands over a right-sized copy.
 */
export class IdSink {
  ids: Uint32Array;
  length = 0;
  constructor(capacity = 1 << 12) {
    this.ids = new Uint32Array(Math.max(capacity, 16));
  }
  private grow(need: number): void {
    const next = new Uint32Array(Math.max(need, this.ids.length * 2));
    next.set(this.ids.subarray(0, this.length));
    this.ids = next;
  }
  push(id: number): void {
    if (this.length === this.ids.length) this.grow(this.length + 1);
    this.ids[this.length++] = id;
  }
  pushAll(ids: ArrayLike<number>): void {
    if (this.length + ids.length > this.ids.length) this.grow(this.length + ids.length);
    for (let i = 0; i < ids.length; i++) this.ids[this.length++] = ids[i]!;
  }
  take(): Uint32Array {
    return this.ids.slice(0, this.length);
  }
}

/** An encoder that writes into a sink (the fast path of `encodeChunk`), alongside `encode`. */
export interface SinkEncoder {
  readonly encodeInto: (text: string, opts: { readonly bos: boolean; readonly eos: boolean }, sink: IdSink) => void;
}

/** `encode` through `encodeInto`, for the Tokenizer interface. */
export const encodeViaSink = (into: SinkEncoder["encodeInto"]): Tokenizer["encode"] => (text, opts) => {
  const sink = new IdSink(text.length + 2);
  into(text, opts, sink);
  return Array.from(sink.ids.subarray(0, sink.length));
};
