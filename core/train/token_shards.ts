/**
 * Token shards on disk and the choices made over them, pure.
 * Shard file: a 32-byte header, little-endian: uint32 magic "ITOK" (0x4b4f5449), uint32 version 1,
 * uint32 bytes per token (2 = uint16 when the vocabulary fits 65536, else 4 = uint32), uint32 0,
 * uint64 token count, 8 zero bytes; then the tokens. A corpus is the concatenation of its shards,
 * each document starting with BOS (and/or ending with EOS).
 * Split: validation is the tail from the first document start at or after ⌊N·(1−f)⌋ (PAPER.md,
 * "In miniature": the last 10% of tokens held out); training is everything before it.
 * Subset: the training tokens cut into chunks, shuffled by a seeded xorshift (core/rng.ts), taken
 * until the budget is met, and returned as sorted, disjoint [start, end) ranges.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import { nextU32, seedRng } from "../rng.ts";

export const SHARD_MAGIC = 0x4b4f5449; // "ITOK" read as little-endian bytes
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 32;
export type TokenWidth = 2 | 4;

export const widthFor = (vocabSize: number): TokenWidth => (vocabSize <= 65536 ? 2 : 4);

export const encodeShardHeader = (width: TokenWidth, count: number): Uint8Array => {
  const b = new Uint8Array(SHARD_HEADER_BYTES), v = new DataView(b.buffer);
  v.setUint32(0, SHARD_MAGIC, true);
  v.setUint32(4, SHARD_VERSION, true);
  v.setUint32(8, width, true);
  v.setBigUint64(16, BigInt(count), true);
  return b;
};

/** Check a shard header against the file's size; returns the token width and count. */
export const decodeShardHeader = (
  b: Uint8Array,
  fileBytes: number,
  source: string,
): E.Either<AppError, { width: TokenWidth; count: number }> => {
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot read token shard ${source}: ${why}`,
      "tokenize the corpus again with `inheritune tokenize`",
    );
  if (b.length < SHARD_HEADER_BYTES) {
    return E.left(bad(`it has ${b.length} bytes, fewer than the ${SHARD_HEADER_BYTES}-byte header`));
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== SHARD_MAGIC) return E.left(bad("its magic is not ITOK"));
  if (v.getUint32(4, true) !== SHARD_VERSION) {
    return E.left(bad(`its version ${v.getUint32(4, true)} is not ${SHARD_VERSION}`));
  }
  const width = v.getUint32(8, true);
  if (width !== 2 && width !== 4) return E.left(bad(`its token width ${width} is not 2 or 4 bytes`));
  const count = v.getBigUint64(16, true);
  if (BigInt(SHARD_HEADER_BYTES) + count * BigInt(width) !== BigInt(fileBytes)) {
    return E.left(
      bad(`its header claims ${count} tokens but the file has room for ${(fileBytes - SHARD_HEADER_BYTES) / width}`),
    );
  }
  return E.right({ width, count: Number(count) });
};

export type Range = readonly [number, number]; // [start, end) in corpus token positions

/** The first document start at or after the cut, else the cut itself (one long document). */
export const validationStart = (docStarts: ReadonlyArray<number>, total: number, valFraction: number): number => {
  if (valFraction <= 0) return total;
  const cut = Math.floor(total * (1 - valFraction));
  return docStarts.find((s) => s >= cut && s < total) ?? cut;
};

/** Chunks of the training range [0, train), shuffled by `seed`, taken until `budget` tokens. */
export const selectSubset = (train: number, budget: number, seed: number, chunk = 4096): ReadonlyArray<Range> => {
  if (budget >= train) return train > 0 ? [[0, train]] : [];
  const n = Math.ceil(train / chunk), order = Array.from({ length: n }, (_, i) => i);
  let rng = seedRng(seed);
  for (let i = n - 1; i > 0; i--) { // Fisher–Yates
    const [u, next] = nextU32(rng);
    rng = next;
    const j = u % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const picked: Array<[number, number]> = [];
  let left = budget;
  for (const c of order) {
    if (left <= 0) break;
    const start = c * chunk, end = Math.min(train, start + chunk, start + left);
    picked.push([start, end]);
    left -= end - start;
  }
  picked.sort((a, b) => a[0] - b[0]);
  return picked.reduce<Array<[number, number]>>((acc, r) => {
    const last = acc[acc.length - 1];
    if (last !== undefined && last[1] === r[0]) last[1] = r[1];
    else acc.push([r[0], r[1]]);
    return acc;
  }, []);
};

export const rangeTokens = (rs: ReadonlyArray<Range>): number => rs.reduce((n, [a, b]) => n + b - a, 0);
