/**
 * Finding and loading a model and its tokenizer from a path a user gives.
 * Formats: a Hugging Face directory (config.json + safetensors, adapters/formats/hf_checkpoint.ts; a path
 * to its config.json or .safetensors file means the directory), llama2.c `.bin` legacy float32 (v0,
 * adapters/formats/llama2c.ts) and "ak42" v1 (float32) / v2 (Q8_0, dequantised; adapters/formats/llama2c_ak42.ts).
 * The tokenizer is found in the model's directory unless --tokenizer names one (adapters/tokenizers/load.ts).
 * `openModel` reads a directory's config and headers only; `loadModel` then builds f32 weights tensor by tensor.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { basename, dirname, join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { isDirectory, isFile, readBytes } from "../fs/files.ts";
import { type HfHandle, openHfModel, readHfWeights } from "./hf_checkpoint.ts";
import { decodeLlama2c } from "./llama2c.ts";
import { AK42_MAGIC, decodeAk42 } from "./llama2c_ak42.ts";
import { findTokenizer } from "../tokenizers/load.ts";
import { CHECKPOINT_FILE, MODEL_DIR } from "../train/settings.ts";

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

/** A model before its weights are read (openModel); loadWeights reads them. */
export interface ModelHandle {
  readonly source: string;
  readonly spec: ModelSpec;
  readonly disk: DiskFormat;
  readonly hf?: HfHandle; // an HF directory: where each tensor is stored, values unread
  readonly bin?: Model; // a llama2.c checkpoint, read whole
  readonly truncated?: string; // why the weights cannot be read whole (a truncated file), when so
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

/**
 * What a path names: an HF directory (a config.json or .safetensors inside one means the directory), a run
 * directory of `train --out` (its exported model/), or a file.
 */
const resolve = async (path: string): Promise<E.Either<AppError, { dir?: string }>> => {
  const dir = (await isFile(path)) &&
      (basename(path) === "config.json" || path.endsWith(".safetensors") || path.endsWith(".safetensors.index.json"))
    ? dirname(path)
    : path;
  if (await isDirectory(dir)) return runModel(dir);
  if (!(await isFile(path))) {
    return E.left(appError("BadFile", `Cannot load model ${path}: no such file`, "check the path"));
  }
  return E.right({});
};

/** A run directory holds its exported model in model/ (adapters/train/settings.ts MODEL_DIR), once the run ends. */
const runModel = async (dir: string): Promise<E.Either<AppError, { dir: string }>> => {
  if (await isFile(join(dir, "config.json"))) return E.right({ dir });
  if (await isFile(join(dir, MODEL_DIR, "config.json"))) return E.right({ dir: join(dir, MODEL_DIR) });
  if (await isFile(join(dir, CHECKPOINT_FILE))) {
    return E.left(
      appError(
        "BadFile",
        `Cannot load the model of run ${dir}: it has a checkpoint but no ${MODEL_DIR}/ yet (the run has not finished)`,
        "pass --checkpoint to use its latest checkpoint, or --resume the run to its end",
      ),
    );
  }
  return E.right({ dir });
};

const hfDisk = (h: HfHandle): DiskFormat => ({
  format: `safetensors (${h.files.join(", ")})`,
  dtype: h.dtypes.join(", "),
});

/**
 * A model opened without its weights: for an HF directory, config.json and the safetensors headers only (the
 * `hf` handle locates every tensor); a llama2.c .bin (small, f32) is read whole, its weights kept.
 */
export const openModel = (path: string): TE.TaskEither<AppError, ModelHandle> => async () => {
  const where = await resolve(path);
  if (E.isLeft(where)) return where;
  const dir = where.right.dir;
  if (dir === undefined) return E.map((m: Model) => ({ ...m, bin: m }))(await loadBin(path)());
  return E.map((h: HfHandle) => ({
    source: dir,
    spec: h.spec,
    disk: hfDisk(h),
    hf: h,
    ...(h.truncated.length > 0 ? { truncated: h.truncated.map((f) => `${f.path}: ${f.truncated}`).join("; ") } : {}),
  }))(await openHfModel(dir)());
};

/** The model's f32 weights from a handle (HF: tensor by tensor; peak the f32 weights + one stored tensor). */
export const loadWeights = (m: ModelHandle): TE.TaskEither<AppError, Model> => async () => {
  if (m.bin !== undefined) return E.right(m.bin);
  if (m.hf === undefined) throw new Error(`Cannot load ${m.source}: the handle has neither weights nor headers`);
  return E.map((weights: Weights) => ({ source: m.source, spec: m.spec, weights, disk: m.disk }))(
    await readHfWeights(m.source, m.hf)(),
  );
};

export const loadModel = (path: string): TE.TaskEither<AppError, Model> => pipe(openModel(path), TE.chain(loadWeights));

/** The tokenizer for a model: the one named (a file or directory), else one found in the model's directory. */
export const loadTokenizer = (model: Model, named: string | undefined): TE.TaskEither<AppError, Tokenizer> =>
  findTokenizer(model.source, model.spec.vocabSize, named);
