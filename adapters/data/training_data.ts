/**
 * The token streams a run trains and evaluates on, held in memory: a text corpus (.txt/.jsonl or a
 * directory of them, adapters/data/corpus.ts) tokenized with the model's tokenizer, each document marked
 * as the tokenizer's convention says (BOS before it, or EOS after it: core/text/conventions.ts), the last `valFraction` of tokens held out from a document start (core/train/token_shards.ts
 * validationStart, as `inheritune tokenize` splits); or a directory made by `inheritune tokenize`,
 * whose recorded split (and default subset, for training) is used as is.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { join } from "node:path";
import type { TokenArray } from "../../core/train/batches.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { documentBoundary } from "../../core/text/conventions.ts";
import { type Range, validationStart } from "../../core/train/token_shards.ts";
import { documents, listCorpus } from "./corpus.ts";
import { isFile } from "../fs/files.ts";
import { checkShardFiles, loadManifest, MANIFEST, readTokens } from "./token_store.ts";
import type { TrainData } from "../train/loop.ts";

const gather = async (
  dir: string,
  m: Parameters<typeof readTokens>[1],
  ranges: ReadonlyArray<Range>,
): Promise<E.Either<AppError, TokenArray>> => {
  const n = ranges.reduce((a, [x, y]) => a + y - x, 0), out = m.width === 2 ? new Uint16Array(n) : new Uint32Array(n);
  let at = 0;
  for await (const chunk of readTokens(dir, m, ranges)) {
    if (E.isLeft(chunk)) return chunk;
    out.set(chunk.right, at);
    at += chunk.right.length;
  }
  return E.right(out);
};

const fromStore = async (dir: string, tok: Tokenizer): Promise<E.Either<AppError, TrainData>> => {
  const m = await loadManifest(dir)();
  if (E.isLeft(m)) return m;
  if (m.right.tokenizer.vocab_size !== tok.vocabSize) {
    return E.left(
      appError(
        "BadInput",
        `Cannot train on ${dir}: it was tokenized with a vocabulary of ${m.right.tokenizer.vocab_size}, the model has ${tok.vocabSize}`,
        "tokenize the corpus with the model's tokenizer",
      ),
    );
  }
  const sized = await checkShardFiles(dir, m.right)();
  if (E.isLeft(sized)) return sized;
  const train = await gather(dir, m.right, m.right.subset?.ranges ?? [m.right.split.train]);
  if (E.isLeft(train)) return train;
  const val = await gather(dir, m.right, [m.right.split.val]);
  return E.map((v: TokenArray) => ({ train: train.right, val: v }))(val);
};

const fromText = async (path: string, tok: Tokenizer, valFraction: number): Promise<E.Either<AppError, TrainData>> => {
  const c = await listCorpus(path);
  if (E.isLeft(c)) return c;
  // A typed buffer grown by doubling, not a number[] (8+ bytes a token): the stream is held anyway.
  let all: Uint16Array | Uint32Array = tok.vocabSize <= 65536 ? new Uint16Array(1 << 16) : new Uint32Array(1 << 16);
  let n = 0;
  const starts: number[] = [], boundary = documentBoundary(tok); // as `tokenize` marks them by default
  for await (const ev of documents(c.right, { field: "text", split: "paragraph" })) {
    if (ev._tag === "error") return E.left(ev.error);
    starts.push(n);
    const ids = tok.encode(ev.text, { bos: boundary === "bos", eos: boundary === "eos" });
    if (n + ids.length > all.length) {
      const grown = new (all.constructor as Uint16ArrayConstructor)(Math.max(2 * all.length, n + ids.length));
      grown.set(all.subarray(0, n));
      all = grown;
    }
    for (let i = 0; i < ids.length; i++) all[n++] = ids[i]!;
  }
  const cut = validationStart(starts, n, valFraction);
  return E.right({ train: all.slice(0, cut), val: all.slice(cut, n) });
};

export const loadTrainingData =
  (path: string, tok: Tokenizer, valFraction = 0.1): TE.TaskEither<AppError, TrainData> => async () =>
    (await isFile(join(path, MANIFEST))) ? fromStore(path, tok) : fromText(path, tok, valFraction);
