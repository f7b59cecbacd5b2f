/**
 * Hugging Face model directories, both families: `config.json` (core/codecs/hf_config.ts) plus
 * safetensors weights, single or sharded (adapters/formats/safetensors_index.ts), mapped to our tensors by
 * core/codecs/hf_layout.ts. Saving writes config.json (the spec's own depth), generation_config.json,
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
import { fromHfTensors, toHfTensors } from "../../core/codecs/hf_layout.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import { paramCount, weightProblems, type Weights } from "../../core/model/tensors.ts";
import { ioFailure, tempBeside, writeBytesAtomic } from "../fs/atomic_write.ts";
import { readText } from "../fs/files.ts";
import { loadDirTensors, saveDirTensors } from "./safetensors_index.ts";

export interface HfModel {
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly dtypes: ReadonlyArray<Dtype>;
  readonly files: ReadonlyArray<string>;
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

export const loadHfModel = (dir: string): TE.TaskEither<AppError, HfModel> =>
  pipe(
    TE.Do,
    TE.bind("spec", () => loadHfSpec(dir)),
    TE.bind("stored", () => loadDirTensors(dir)),
    TE.chainFirstEitherK(({ spec, stored }) => impliedSize(spec, stored.tensors, dir)),
    TE.bind("weights", ({ spec, stored }) => TE.fromEither(fromHfTensors(spec, stored.tensors, dir))),
    TE.chainEitherK(({ spec, stored, weights }) => {
      const problems = weightProblems(spec, weights);
      return problems.length === 0 ? E.right({ spec, weights, dtypes: stored.dtypes, files: stored.files }) : E.left(
        appError(
          "BadConfig",
          `Cannot load ${dir}: ${problems[0]}`,
          "the config.json does not describe these weights",
        ),
      );
    }),
  );

/**
 * The spec's parameter count against the values the files hold, before anything is built per tensor:
 * a corrupt config.json can declare 2^31 layers, and listing their tensors would exhaust memory.
 */
const impliedSize = (
  spec: ModelSpec,
  stored: ReadonlyMap<string, { readonly data: Float32Array }>,
  dir: string,
): E.Either<AppError, void> => {
  let held = 0;
  for (const x of stored.values()) held += x.data.length;
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
  readonly maxShardBytes?: number;
  readonly extraFiles?: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>;
}

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

/** Write a model as an HF directory; returns the file names written. */
export const saveHfModel = (dir: string, m: HfExport): TE.TaskEither<AppError, ReadonlyArray<string>> => async () => {
  const exportable = hfExportable(m.spec);
  if (E.isLeft(exportable)) return exportable;
  const exists = await checkTarget(dir);
  if (E.isLeft(exists)) return exists;
  const tmp = tempBeside(dir);
  const ids = { ...(m.bos !== undefined ? { bos: m.bos } : {}), ...(m.eos !== undefined ? { eos: m.eos } : {}) };
  const small = [
    { name: "config.json", bytes: jsonBytes(encodeHfConfig(m.spec, ids, TORCH[m.dtype])) },
    {
      name: "generation_config.json",
      bytes: jsonBytes({ _from_model_config: true, bos_token_id: m.bos, eos_token_id: m.eos }),
    },
    ...(m.extraFiles ?? []),
  ];
  try {
    await mkdir(tmp, { recursive: true });
    for (const f of small) {
      const r = await writeBytesAtomic(join(tmp, f.name), f.name, f.bytes)();
      if (E.isLeft(r)) throw r.left;
    }
    const w = await saveDirTensors(tmp, toHfTensors(m.spec, m.weights), m.dtype, { format: "pt" }, m.maxShardBytes)();
    if (E.isLeft(w)) throw w.left;
    if (exists.right) await rmdir(dir);
    await rename(tmp, dir);
    return E.right([...small.map((f) => f.name), ...w.right]);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    return E.left(
      typeof e === "object" && e !== null && "_tag" in e ? (e as AppError) : ioFailure("model directory", dir, e),
    );
  }
};
