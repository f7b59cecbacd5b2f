/**
 * llama2.c `tokenizer.bin` (e.g. tok512.bin): int32 max_token_length, then per id: float32 score,
 * int32 byte length, the bytes. Encoding is llama2.c's (core/text/score_bpe.ts): a dummy-prefix space,
 * one token per UTF-8 character (byte fallback <0xXX> = id 3 + byte where the character is not in the
 * vocabulary), then repeatedly merge the adjacent pair whose joined piece has the highest score.
 * Conventions: 0 <unk>, 1 BOS, 2 EOS.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { type AppError, appError } from "../../core/errors.ts";
import { scoreBpeSinkEncoder } from "../../core/text/score_bpe.ts";
import { encodeViaSink, joinPieces, type SinkEncoder, type Tokenizer } from "../../core/text/tokenizer.ts";
import { readBytes } from "../fs/files.ts";

const BOS = 1, EOS = 2;
const latin1 = new TextDecoder("latin1");

/**
 * Read the vocabulary; the vocabulary size comes from the model, since the file does not store it
 * (undefined: read tokens until the file ends, for a tokenizer used without its model).
 */
export const decodeLlama2cTokenizer = (
  bytes: Uint8Array,
  vocabSize: number | undefined,
  source: string,
): E.Either<AppError, Tokenizer> => {
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot load llama2.c tokenizer ${source}: ${why}`,
      "pass the tokenizer.bin that belongs to this model with --tokenizer",
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: Uint8Array[] = [], scores: number[] = [];
  let off = 4;
  if (bytes.length < 4) return E.left(bad("the file is shorter than its 4-byte header"));
  for (let id = 0; vocabSize === undefined ? off < bytes.length : id < vocabSize; id++) {
    if (off + 8 > bytes.length) return E.left(bad(`it ends at token ${id} of the model's ${vocabSize}`));
    const len = view.getInt32(off + 4, true);
    if (len < 0 || off + 8 + len > bytes.length) {
      return E.left(bad(`token ${id} declares ${len} bytes past the end of the file`));
    }
    scores.push(view.getFloat32(off, true));
    pieces.push(bytes.slice(off + 8, off + 8 + len));
    off += 8 + len;
  }
  if (off !== bytes.length) {
    return E.left(bad(`it holds more than the model's ${vocabSize} tokens (${bytes.length - off} bytes left)`));
  }
  return E.right(makeTokenizer(pieces, scores));
};

const makeTokenizer = (pieces: ReadonlyArray<Uint8Array>, scores: ReadonlyArray<number>): Tokenizer => {
  const encodeText = scoreBpeSinkEncoder({ pieces, scores });
  const byteOf = pieces.map((p) =>
    /^<0x[0-9A-Fa-f]{2}>$/.test(latin1.decode(p)) ? parseInt(latin1.decode(p).slice(3, 5), 16) : -1
  );
  const encodeInto: SinkEncoder["encodeInto"] = (text, opts, sink) => {
    if (opts.bos) sink.push(BOS);
    encodeText(text, sink);
    if (opts.eos) sink.push(EOS);
  };
  const pieceBytes = (prev: number, token: number): Uint8Array => {
    const p = pieces[token];
    if (p === undefined) return new Uint8Array(0);
    if (byteOf[token]! >= 0) return Uint8Array.of(byteOf[token]!);
    return prev === BOS && p[0] === 0x20 ? p.subarray(1) : p;
  };
  const tok: Tokenizer = {
    vocabSize: pieces.length,
    bos: BOS,
    eos: EOS,
    addsBos: true, // run.c encodes the prompt with BOS
    stops: [BOS, EOS], // run.c stops at BOS (it delimits sequences); EOS as well
    encode: encodeViaSink(encodeInto),
    encodeInto,
    pieceBytes,
    decode: (ids) => joinPieces(tok, ids.filter((i) => i !== BOS && i !== EOS), BOS),
  };
  return tok;
};

export const loadLlama2cTokenizer = (path: string, vocabSize: number | undefined): TE.TaskEither<AppError, Tokenizer> =>
  pipe(readBytes(path, "llama2.c tokenizer"), TE.chainEitherK((b) => decodeLlama2cTokenizer(b, vocabSize, path)));
