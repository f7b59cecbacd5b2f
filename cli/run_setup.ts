/**
 * What train, compare and grow share: loading a model, its tokenizer (and the files to copy beside
 * a saved model) and the training data; a model's loss on an evaluator; SIGINT as an abort signal; and
 * the embedded default (the bundled stories260K and TinyStories excerpt).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import process from "node:process";
import { basename, join } from "node:path";
import { readBytes } from "../adapters/fs/files.ts";
import { loadTokenizer, type Model } from "../adapters/formats/models.ts";
import { loadModelOrCheckpoint } from "../adapters/train/run_dir.ts";
import { findTokenizerFiles } from "../adapters/tokenizers/load.ts";
import { loadTrainingData } from "../adapters/data/training_data.ts";
import type { EvaluatorFactory } from "../adapters/devices/backend.ts";
import { evaluate, type TrainData, type TrainSettings } from "../adapters/train/loop.ts";
import type { AppError } from "../core/errors.ts";
import type { TokenArray } from "../core/train/batches.ts";
import type { Tokenizer } from "../core/text/tokenizer.ts";
import type { Io } from "./io.ts";

export interface Prepared {
  readonly model: Model;
  readonly tok: Tokenizer;
  readonly data: TrainData;
  readonly copies: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>;
}

/** The bundled reference and corpus, for a run given no model. */
export const embedded = (io: Io) => ({
  model: join(io.assets, "stories260K", "stories260K.bin"),
  data: join(io.assets, "text", "tinystories_val_excerpt.txt"),
  layers: "3",
});

/** A fresh folder name under runs/ for a run that names none. */
export const defaultOut = (io: Io, name: string): string => {
  const d = new Date(io.now()), p = (n: number) => String(n).padStart(2, "0");
  return join(
    "runs",
    `${name}-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${
      p(d.getUTCMinutes())
    }${p(d.getUTCSeconds())}`,
  );
};

const tokenizerCopies = async (
  m: Model,
  named: string | undefined,
): Promise<E.Either<AppError, Prepared["copies"]>> => {
  const files = await findTokenizerFiles(m.source, m.spec.vocabSize, named);
  if (E.isLeft(files)) return files;
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const f of files.right.files) {
    const b = await readBytes(f, "tokenizer file")();
    if (E.isLeft(b)) return b;
    out.push({ name: basename(f), bytes: b.right });
  }
  return E.right(out);
};

/** A model, its tokenizer, and a corpus tokenized with it (train and held-out split). */
export const loadModelAndData = async (
  modelPath: string,
  dataPath: string,
  tokenizer: string | undefined,
  checkpoint = false,
): Promise<E.Either<AppError, Omit<Prepared, "copies">>> => {
  const model = await loadModelOrCheckpoint(modelPath, checkpoint)();
  if (E.isLeft(model)) return model;
  const tok = await loadTokenizer(model.right, tokenizer)();
  if (E.isLeft(tok)) return tok;
  const data = await loadTrainingData(dataPath, tok.right)();
  if (E.isLeft(data)) return data;
  return E.right({ model: model.right, tok: tok.right, data: data.right });
};

/** loadModelAndData, plus the tokenizer files to copy beside a model the run saves. */
export const prepare = async (
  modelPath: string,
  dataPath: string,
  tokenizer: string | undefined,
  checkpoint = false,
): Promise<E.Either<AppError, Prepared>> => {
  const p = await loadModelAndData(modelPath, dataPath, tokenizer, checkpoint);
  if (E.isLeft(p)) return p;
  const copies = await tokenizerCopies(p.right.model, tokenizer);
  return E.map((c: Prepared["copies"]) => ({ ...p.right, copies: c }))(copies);
};

/** SIGINT → abort (the loop saves a checkpoint between steps); a second SIGINT ends the process as usual. */
export const interruptible = async <A>(body: (signal: AbortSignal) => Promise<A>): Promise<A> => {
  const ctl = new AbortController(), onInt = () => (process.off("SIGINT", onInt), ctl.abort());
  process.on("SIGINT", onInt);
  try {
    return await body(ctl.signal);
  } finally {
    process.off("SIGINT", onInt);
  }
};

/** The reference's validation loss on the same held-out windows the target is scored on. */
export const referenceLoss = (
  makeEvaluator: EvaluatorFactory,
  p: Prepared,
  s: TrainSettings,
): Promise<E.Either<AppError, number>> => scoreModel(makeEvaluator, p.model, p.data.val, s);

/** A model's mean loss over a split's evaluation windows, on an evaluator of its weights (destroyed after). */
export const scoreModel = async (
  makeEvaluator: EvaluatorFactory,
  m: Pick<Model, "spec" | "weights">,
  val: TokenArray,
  s: Pick<TrainSettings, "batch" | "ctx" | "evalTokens">,
): Promise<E.Either<AppError, number>> => {
  const ev = await makeEvaluator(m.spec, m.weights)();
  if (E.isLeft(ev)) return ev;
  try {
    return await evaluate(ev.right, val, s);
  } finally {
    ev.right.destroy();
  }
};
