/**
 * What `tokenize --select` and `compare --subsets` share: the reference that scores documents (any
 * model the CLI loads, checked against the corpus's vocabulary before any work), and scoring every
 * training document on the chosen backend (the device's forward and scoring kernel in batches, as
 * `eval --tasks` does), with a progress line on a terminal's stderr.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { scoreDocuments } from "../adapters/data/score_docs.ts";
import type { Manifest } from "../adapters/data/token_store.ts";
import { type BackendArg, withBackend } from "../adapters/devices/backend.ts";
import { tokensPerPass } from "../adapters/eval/evaluate.ts";
import { scorerFactory } from "../adapters/eval/scorer.ts";
import type { Model } from "../adapters/formats/models.ts";
import { loadModelOrCheckpoint } from "../adapters/train/run_dir.ts";
import { type AppError, appError } from "../core/errors.ts";
import type { DocTable } from "../core/select/select_docs.ts";
import { devicesOf, type Io } from "./io.ts";
import { progressLine } from "./progress.ts";

/** The reference model, refused when its vocabulary is not the tokenizer's. */
export const loadReference = async (path: string, vocabSize: number): Promise<E.Either<AppError, Model>> => {
  const m = await loadModelOrCheckpoint(path)();
  if (E.isRight(m) && m.right.spec.vocabSize !== vocabSize) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot score documents with ${path}: its vocabulary has ${m.right.spec.vocabSize} tokens, the tokenizer's ${vocabSize}`,
        "give a --reference that uses the corpus's tokenizer",
      ),
    );
  }
  return m;
};

/** Mean reference loss of every document of `t` (NaN where it predicts nothing). */
export const scorePool = (
  io: Io,
  backend: BackendArg | undefined,
  reference: Model,
  dir: string,
  m: Manifest,
  t: DocTable,
): Promise<E.Either<AppError, Float64Array>> =>
  withBackend(devicesOf(io), backend, async (b) => {
    const scorer = await scorerFactory(b)(reference.spec, reference.weights)();
    if (E.isLeft(scorer)) return scorer;
    const bar = progressLine(io, "scoring documents", t.starts.length);
    try {
      return await scoreDocuments(dir, m, t, scorer.right, {
        bos: m.tokenizer.bos,
        rows: 32,
        maxTokens: tokensPerPass(reference.spec),
        onProgress: (done) => bar.update(done, ""),
      });
    } finally {
      bar.end();
      scorer.right.destroy();
    }
  });
