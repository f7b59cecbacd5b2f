/**
 * Finding and loading a model and its tokenizer from a path a user gives.
 * Formats: a Hugging Face directory (config.json + safetensors, adapters/formats/hf_checkpoint.ts; a path
 * to its config.json or .safetensors file means the directory), llama2.c `.bin` legacy float32 (v0,
 * adapters/formats/llama2c.ts) and "ak42" v1 (float32) / v2 (Q8_0, dequantised; adapters/formats/llama2c_ak42.ts).
 * The tokenizer is found in the model's directory unless --tokenizer names one (adapters/tokenizers/load.ts).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { basename, dirname } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { isDirectory, isFile, readBytes } from "../fs/files.ts";
import { loadHfModel } from "./hf_checkpoint.ts";
import { decodeLlama2c } from "./llama2c.ts";
import { AK42_MAGIC, decodeAk42 } from "./llama2c_ak42.ts";
import { findTokenizer } from "../tokenizers/load.ts";

/** How the weights were stored: e.g. "safetensors" / "F32", "llama2.c v2" / "Q8_0 (groups of 32)". */
export interface DiskFormat {
  readonly format: string;
  readonly dtype: string;
}

export interface Model {
  readonly source: string;
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly disk: DiskFormat;
}

const loadBin = (path: string): TE.TaskEither<AppError, Model> => async () => {
  const bytes = await readBytes(path, "llama2.c checkpoint")();
  if (E.isLeft(bytes)) return bytes;
  const b = bytes.right;
  if (b.length >= 4 && new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) === AK42_MAGIC) {
    return pipe(
      decodeAk42(b, path),
      E.map((m) => ({
        source: path,
        spec: m.spec,
        weights: m.weights,
        disk: {
          format: `llama2.c v${m.version} (ak42)`,
          dtype: m.version === 2 ? `Q8_0 int8, groups of ${m.groupSize}` : "F32",
        },
      })),
    );
  }
  return pipe(
    decodeLlama2c(b, path),
    E.map((m) => ({ source: path, ...m, disk: { format: "llama2.c v0 (legacy)", dtype: "F32" } })),
  );
};

export const loadModel = (path: string): TE.TaskEither<AppError, Model> => async () => {
  const dir = (await isFile(path)) &&
      (basename(path) === "config.json" || path.endsWith(".safetensors") || path.endsWith(".safetensors.index.json"))
    ? dirname(path)
    : path;
  if (await isDirectory(dir)) {
    return pipe(
      await loadHfModel(dir)(),
      E.map((m) => ({
        source: dir,
        spec: m.spec,
        weights: m.weights,
        disk: { format: `safetensors (${m.files.join(", ")})`, dtype: m.dtypes.join(", ") },
      })),
    );
  }
  if (!(await isFile(path))) {
    return E.left(appError("BadFile", `Cannot load model ${path}: no such file`, "check the path"));
  }
  return loadBin(path)();
};

/** The tokenizer for a model: the one named (a file or directory), else one found in the model's directory. */
export const loadTokenizer = (model: Model, named: string | undefined): TE.TaskEither<AppError, Tokenizer> =>
  findTokenizer(model.source, model.spec.vocabSize, named);
