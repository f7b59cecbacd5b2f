/**
 * Hugging Face model directories, both families: `config.json` (core/codecs/hf_config.ts) plus
 * safetensors weights, single or sharded (adapters/formats/safetensors_index.ts), mapped to our tensors by
 * core/codecs/hf_layout.ts. Opening reads config.json and the headers only (`HfHandle`); weights are read
 * tensor by tensor from it. Saving writes config.json (the spec's own depth), generation_config.json,
 * the weights and any extra files (tokenizer, provenance) into a temporary directory that is
 * renamed into place at the end, so a failure leaves nothing behind.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { mkdir, readdir, rename, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { decodeHfConfig, encodeHfConfig, hfExportable, type TorchDtype } from "../../core/codecs/hf_config.ts";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { fromHfLayout, hfOutData, hfOutSlots, type HfSlot, matchHfSlots } from "../../core/codecs/hf_layout.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import { paramCount, weightProblems, type Weights } from "../../core/model/tensors.ts";
import { ioFailure, tempBeside, writeBytesAtomic } from "../fs/atomic_write.ts";
import { readText } from "../fs/files.ts";
import { outFromF32, readStoredF32, type StFile, type StoredTensor, type TensorOut, wholeFile } from "./safetensors.ts";
import { DEFAULT_MAX_SHARD_BYTES, openDirTensors, writeDirTensors } from "./safetensors_index.ts";

export interface HfModel {
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly dtypes: ReadonlyArray<Dtype>;
  readonly files: ReadonlyArray<string>;
}

/** A directory's model read lazily: the spec, and where each of our tensors is stored (values unread). */
export interface HfHandle {
  readonly spec: ModelSpec;
  readonly slots: ReadonlyArray<{ readonly slot: HfSlot; readonly stored: StoredTensor }>; // our tensor order
  readonly dtypes: ReadonlyArray<Dtype>;
  readonly files: ReadonlyArray<string>;
  readonly truncated: ReadonlyArray<StFile>; // files whose data ends early: the handle describes, loading refuses
}

const parseJson = (path: string) => (text: string): E.Either<AppError, unknown> =>
  E.tryCatch(
    () => JSON.parse(text) as unknown,
    () => appError("BadConfig", `Cannot parse ${path}: it is not valid JSON`, "fix or replace the file"),
  );

/** Read a directory's config.json into a spec (nothing else is read). */
export const loadHfSpec = (dir: string): TE.TaskEither<AppError, ModelSpec> => {
  const path = join(dir, "config.json");
  return pipe(
    readText(path, "model config"),
    TE.chainEitherK(parseJson(path)),
    TE.chainEitherK((j) => decodeHfConfig(j, path)),
  );
};

/** config.json and the safetensors headers, checked against each other; no tensor data is read. */
export const openHfModel = (dir: string): TE.TaskEither<AppError, HfHandle> =>
  pipe(
    TE.Do,
    TE.bind("spec", () => loadHfSpec(dir)),
    TE.bind("stored", () => openDirTensors(dir)),
    TE.chainFirstEitherK(({ spec, stored }) => impliedSize(spec, stored.tensors, dir)),
    TE.bind("matches", ({ spec, stored }) => TE.fromEither(matchHfSlots(spec, stored.tensors, dir))),
    TE.map(({ spec, stored, matches }) => ({
      spec,
      slots: matches.map(({ slot, key }) => ({ slot, stored: stored.tensors.get(key)! })),
      dtypes: stored.dtypes,
      files: stored.files,
      truncated: stored.truncated,
    })),
  );

/** The handle, when every file holds all its tensors' bytes; otherwise the first truncated file's error. */
export const wholeHf = (h: HfHandle): E.Either<AppError, HfHandle> =>
  h.truncated.length === 0 ? E.right(h) : E.map(() => h)(wholeFile(h.truncated[0]!));

/** The model's f32 weights, built tensor by tensor from the handle (peak: the f32 weights + one stored tensor). */
export const readHfWeights = (dir: string, h: HfHandle): TE.TaskEither<AppError, Weights> => async () => {
  const whole = wholeHf(h);
  if (E.isLeft(whole)) return whole;
  const w: Record<string, Float32Array> = {};
  for (const { slot, stored } of h.slots) {
    const x = await readStoredF32(stored)();
    if (E.isLeft(x)) return x;
    w[slot.ours] = fromHfLayout(h.spec, slot, x.right);
  }
  const problems = weightProblems(h.spec, w);
  return problems.length === 0 ? E.right(w) : E.left(
    appError("BadConfig", `Cannot load ${dir}: ${problems[0]}`, "the config.json does not describe these weights"),
  );
};

export const loadHfModel = (dir: string): TE.TaskEither<AppError, HfModel> =>
  pipe(
    openHfModel(dir),
    TE.chain((h) =>
      pipe(readHfWeights(dir, h), TE.map((weights) => ({ spec: h.spec, weights, dtypes: h.dtypes, files: h.files })))
    ),
  );

/**
 * The spec's parameter count against the values the headers declare, before anything is built per tensor:
 * a corrupt config.json can declare 2^31 layers, and listing their tensors would exhaust memory.
 */
const impliedSize = (
  spec: ModelSpec,
  stored: ReadonlyMap<string, { readonly shape: ReadonlyArray<number> }>,
  dir: string,
): E.Either<AppError, void> => {
  let held = 0;
  for (const x of stored.values()) held += x.shape.reduce((a, b) => a * b, 1);
  return paramCount(spec) <= held ? E.right(undefined) : E.left(
    appError(
      "BadConfig",
      `Cannot load ${dir}: config.json implies ${paramCount(spec)} parameters but the weights hold ${held} values`,
      "the config.json does not describe these weights",
    ),
  );
};

export interface HfExport {
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly dtype: Dtype;
  readonly bos?: number;
  readonly eos?: number;
  readonly maxShardBytes?: number; // default DEFAULT_MAX_SHARD_BYTES, as transformers
  readonly extraFiles?: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>;
}
/** A model to write from tensors already in HF names, shapes and dtypes (streamed; e.g. copied stored bytes). */
export interface HfTensorsExport extends Omit<HfExport, "weights" | "dtype"> {
  readonly tensors: ReadonlyArray<TensorOut>;
  readonly torchDtype: Dtype; // config.json's torch_dtype
  /** Files known only once the tensors are written (e.g. a provenance record whose hash ran meanwhile). */
  readonly lateFiles?: () => Promise<E.Either<AppError, ReadonlyArray<ExtraFile>>>;
}
type ExtraFile = { readonly name: string; readonly bytes: Uint8Array };

const TORCH: Readonly<Record<Dtype, TorchDtype>> = { F32: "float32", F16: "float16", BF16: "bfloat16" };
const jsonBytes = (x: unknown) => new TextEncoder().encode(JSON.stringify(x, null, 2) + "\n");

/** Refuse a target that exists and is not an empty directory. */
const checkTarget = async (dir: string): Promise<E.Either<AppError, boolean>> => {
  const entries = await readdir(dir).catch((e: { code?: string }) => (e.code === "ENOENT" ? undefined : null));
  if (entries === undefined) return E.right(false);
  if (entries === null || entries.length > 0) {
    return E.left(
      appError(
        "IoFailure",
        `Cannot write the model to ${dir}: it exists and is not an empty directory`,
        "choose a new --out directory or remove that one",
      ),
    );
  }
  return E.right(true);
};

/** Our f32 weights as HF tensors in `dtype`, each moved to HF layout and narrowed only when written. */
const hfOuts = (spec: ModelSpec, w: Weights, dtype: Dtype): ReadonlyArray<TensorOut> =>
  hfOutSlots(spec).map((slot) => ({
    name: slot.hf,
    dtype,
    shape: slot.hfShape,
    pieces: () => outFromF32({ name: slot.hf, shape: slot.hfShape, data: hfOutData(spec, slot, w) }, dtype).pieces(),
  }));

/** Write a model as an HF directory; returns the file names written. */
export const saveHfModel = (dir: string, m: HfExport): TE.TaskEither<AppError, ReadonlyArray<string>> =>
  saveHfTensors(dir, { ...m, tensors: hfOuts(m.spec, m.weights, m.dtype), torchDtype: m.dtype });

/** Small files into a directory, each atomically; the first failure is thrown (saveHfTensors catches it). */
const writeFiles = async (dir: string, files: ReadonlyArray<ExtraFile>): Promise<void> => {
  for (const f of files) {
    const r = await writeBytesAtomic(join(dir, f.name), f.name, f.bytes)();
    if (E.isLeft(r)) throw r.left;
  }
};

/** Write an HF directory from streamed tensors: everything goes to a temporary directory renamed into place. */
export const saveHfTensors =
  (dir: string, m: HfTensorsExport): TE.TaskEither<AppError, ReadonlyArray<string>> => async () => {
    const exportable = hfExportable(m.spec);
    if (E.isLeft(exportable)) return exportable;
    const exists = await checkTarget(dir);
    if (E.isLeft(exists)) return exists;
    const tmp = tempBeside(dir);
    const ids = { ...(m.bos !== undefined ? { bos: m.bos } : {}), ...(m.eos !== undefined ? { eos: m.eos } : {}) };
    const small = [
      { name: "config.json", bytes: jsonBytes(encodeHfConfig(m.spec, ids, TORCH[m.torchDtype])) },
      {
        name: "generation_config.json",
        bytes: jsonBytes({ _from_model_config: true, bos_token_id: m.bos, eos_token_id: m.eos }),
      },
      ...(m.extraFiles ?? []),
    ];
    try {
      await mkdir(tmp, { recursive: true });
      await writeFiles(tmp, small);
      const w = await writeDirTensors(tmp, m.tensors, { format: "pt" }, m.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES)();
      if (E.isLeft(w)) throw w.left;
      const late = m.lateFiles === undefined ? E.right([]) : await m.lateFiles();
      if (E.isLeft(late)) throw late.left;
      await writeFiles(tmp, late.right);
      if (exists.right) await rmdir(dir);
      await rename(tmp, dir);
      return E.right([...small.map((f) => f.name), ...late.right.map((f) => f.name), ...w.right]);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      return E.left(
        typeof e === "object" && e !== null && "_tag" in e ? (e as AppError) : ioFailure("model directory", dir, e),
      );
    }
  };
