/**
 * Finding and loading a model and its tokenizer from a path a user gives.
 * Formats: llama2.c `.bin` (legacy float32). A llama2.c model's tokenizer is found beside it as
 * `tokenizer.bin` or `tok<V>.bin` unless --tokenizer names one.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { dirname, join } from "node:path";
import { appError, type AppError } from "../core/errors.ts";
import type { ModelSpec } from "../core/spec.ts";
import type { Weights } from "../core/tensors.ts";
import type { Tokenizer } from "../core/tokenizer.ts";
import { decodeHfConfig } from "../core/codecs/hf_config.ts";
import { isDirectory, isFile, readText } from "./files.ts";
import { loadLlama2c } from "./llama2c.ts";
import { loadLlama2cTokenizer } from "./llama2c_tokenizer.ts";

export interface Model {
  readonly source: string;
  readonly spec: ModelSpec;
  readonly weights: Weights;
}

/** A Hugging Face directory: its config.json is decoded first, so an unknown architecture is named. */
const loadHfDirectory = (dir: string): TE.TaskEither<AppError, Model> =>
  pipe(
    readText(join(dir, "config.json"), "model config"),
    TE.chainEitherK((text) => E.tryCatch(() => JSON.parse(text) as unknown,
      () => appError("BadConfig", `Cannot parse ${join(dir, "config.json")}: it is not valid JSON`, "fix or replace the file"))),
    TE.chainEitherK((json) => decodeHfConfig(json, join(dir, "config.json"))),
    TE.chain(() => TE.left(appError("BadFile", `Cannot load the weights in ${dir}: this version reads llama2.c .bin checkpoints only`,
      "convert the model to llama2.c format, or use a release that reads safetensors"))),
  );

export const loadModel = (path: string): TE.TaskEither<AppError, Model> => async () => {
  if (await isDirectory(path)) return loadHfDirectory(path)();
  if (!(await isFile(path))) return E.left(appError("BadFile", `Cannot load model ${path}: no such file`, "check the path"));
  return pipe(await loadLlama2c(path)(), E.map((m) => ({ source: path, ...m })));
};

/** The tokenizer for a model: the one named, else one found beside the model. */
export const loadTokenizer = (model: Model, named: string | undefined): TE.TaskEither<AppError, Tokenizer> => async () => {
  const dir = dirname(model.source);
  const candidates = named !== undefined ? [named] : [join(dir, "tokenizer.bin"), join(dir, `tok${model.spec.vocabSize}.bin`)];
  for (const c of candidates) {
    if (named !== undefined || (await isFile(c))) return loadLlama2cTokenizer(c, model.spec.vocabSize)();
  }
  return E.left(appError("BadFile", `Cannot find a tokenizer for ${model.source}: none of ${candidates.join(", ")} exists`,
    "pass the model's tokenizer with --tokenizer <file>"));
};
