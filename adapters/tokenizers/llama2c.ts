/**
 * llama2.c `tokenizer.bin` (e.g. tok512.bin): int32 max_token_length, then per id: float32 score,
 * int32 byte length, the bytes. Encoding is llama2.c's: a dummy-prefix space, one token per UTF-8
 * character (byte fallback <0xXX> = id 3 + byte where the character is not in the vocabulary), then
 * repeatedly merge the adjacent pair whose joined piece has the highest score.
 * Conventions: 0 <unk>, 1 BOS, 2 EOS.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { type AppError, appError } from "../../core/errors.ts";
import { joinPieces, type Tokenizer } from "../../core/text/tokenizer.ts";
import { readBytes } from "../fs/files.ts";

const BOS = 1, EOS = 2, BYTE0 = 3;
const latin1 = new TextDecoder("latin1");
const key = (b: Uint8Array): string => Array.from(b, (x) => String.fromCharCode(x)).join(""); // bytes as a map key

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
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (!ids.has(key(p))) ids.set(key(p), id);
  });
  const pairCache = new Map<number, number>(), utf8 = new TextEncoder();
  const byteOf = pieces.map((p) =>
    /^<0x[0-9A-Fa-f]{2}>$/.test(latin1.decode(p)) ? parseInt(latin1.decode(p).slice(3, 5), 16) : -1
  );
  const encode = (text: string, opts: { readonly bos: boolean; readonly eos: boolean }): number[] => {
    const tokens: number[] = [];
    if (text.length > 0) {
      const space = ids.get(" ");
      if (space !== undefined) tokens.push(space);
      for (const ch of text) {
        const b = utf8.encode(ch);
        const id = ids.get(key(b));
        if (id !== undefined) tokens.push(id);
        else tokens.push(...Array.from(b, (x) => (x + BYTE0 < pieces.length ? x + BYTE0 : 0))); // <unk> when a (damaged) vocabulary lacks the byte tokens
      }
    }
    mergePairs(tokens, pieces, scores, ids, pairCache);
    return [...(opts.bos ? [BOS] : []), ...tokens, ...(opts.eos ? [EOS] : [])];
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
    encode,
    pieceBytes,
    decode: (ids) => joinPieces(tok, ids.filter((i) => i !== BOS && i !== EOS), BOS),
  };
  return tok;
};

/**
 * In place: merge the best-scoring adjacent pair until none is in the vocabulary (llama2.c encode;
 * ties go to the leftmost pair, as there). Pair lookups are cached by id pair, and after a merge
 * only the two pairs touching it are looked up again, so a merge costs one scan of numbers.
 */
const mergePairs = (
  tokens: number[],
  pieces: ReadonlyArray<Uint8Array>,
  scores: ReadonlyArray<number>,
  ids: ReadonlyMap<string, number>,
  cache: Map<number, number>,
): void => {
  const V = pieces.length;
  const pairId = (a: number, b: number): number => {
    let id = cache.get(a * V + b);
    if (id === undefined) cache.set(a * V + b, id = ids.get(key(pieces[a]!) + key(pieces[b]!)) ?? -1);
    return id;
  };
  const pairs = tokens.slice(0, -1).map((t, i) => pairId(t, tokens[i + 1]!));
  for (;;) {
    let best = -Infinity, bestAt = -1;
    for (let i = 0; i < pairs.length; i++) {
      const id = pairs[i]!;
      if (id >= 0 && scores[id]! > best) [best, bestAt] = [scores[id]!, i];
    }
    if (bestAt < 0) return;
    tokens.splice(bestAt, 2, pairs[bestAt]!);
    pairs.splice(bestAt, 1);
    if (bestAt > 0) pairs[bestAt - 1] = pairId(tokens[bestAt - 1]!, tokens[bestAt]!);
    if (bestAt < pairs.length) pairs[bestAt] = pairId(tokens[bestAt]!, tokens[bestAt + 1]!);
  }
};

export const loadLlama2cTokenizer = (path: string, vocabSize: number | undefined): TE.TaskEither<AppError, Tokenizer> =>
  pipe(readBytes(path, "llama2.c tokenizer"), TE.chainEitherK((b) => decodeLlama2cTokenizer(b, vocabSize, path)));
