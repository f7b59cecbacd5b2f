/**
 * A checkpoint's tensors as Hugging Face stores them in a directory: one `model.safetensors`, or
 * shards `model-0000k-of-0000n.safetensors` listed by `model.safetensors.index.json`
 * (`{ metadata: { total_size }, weight_map: { tensor: shard file } }`). Every shard the index names
 * is checked to exist before any is read; each tensor must sit in the shard the index says. Reading takes the
 * headers only (`openDirTensors`); values are read tensor by tensor on demand. Writing streams (`TensorOut`).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { join } from "node:path";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { writeBytesAtomic } from "../fs/atomic_write.ts";
import { isFile, readText } from "../fs/files.ts";
import {
  bytesOf,
  type NamedTensor,
  openSafetensors,
  outFromF32,
  readStoredF32,
  type StFile,
  type StoredTensor,
  type TensorOut,
  wholeFile,
  writeSafetensors,
} from "./safetensors.ts";

export const SINGLE = "model.safetensors";
export const INDEX = "model.safetensors.index.json";
const Index = t.type({ weight_map: t.record(t.string, t.string) }, "SafetensorsIndex");

export interface DirTensors {
  readonly files: ReadonlyArray<string>; // the safetensors files read
  readonly dtypes: ReadonlyArray<Dtype>; // on disk, distinct
  readonly metadata: Readonly<Record<string, string>>; // of the first file
  readonly tensors: ReadonlyMap<string, NamedTensor>;
}

const bad = (path: string, why: string, hint = "download or export the checkpoint again") =>
  appError("BadFile", `Cannot read checkpoint ${path}: ${why}`, hint);

const readIndex = async (dir: string): Promise<E.Either<AppError, Readonly<Record<string, string>>>> => {
  const text = await readText(join(dir, INDEX), "safetensors index")();
  if (E.isLeft(text)) return text;
  let json: unknown;
  try {
    json = JSON.parse(text.right);
  } catch {
    return E.left(bad(join(dir, INDEX), "it is not valid JSON"));
  }
  const r = Index.decode(json);
  if (E.isLeft(r)) return E.left(bad(join(dir, INDEX), describeErrors(r.left)));
  const escape = Object.values(r.right.weight_map).find((f) => f.includes("/") || f.includes("\\") || f === "..");
  return escape === undefined
    ? E.right(r.right.weight_map)
    : E.left(bad(join(dir, INDEX), `shard name ${escape} is not a plain file name`));
};

/** A directory's tensors located by their headers, values unread. */
export interface DirHeaders {
  readonly files: ReadonlyArray<string>; // the safetensors files, sorted
  readonly dtypes: ReadonlyArray<Dtype>; // on disk, distinct, in file order
  readonly metadata: Readonly<Record<string, string>>; // of the first file
  readonly tensors: ReadonlyMap<string, StoredTensor>;
  readonly truncated: ReadonlyArray<StFile>; // files whose data ends before their header says
}

/** The safetensors files of a directory, and the index's map when sharded; shards named must all exist. */
const dirFiles = async (
  dir: string,
): Promise<E.Either<AppError, { files: string[]; map?: Readonly<Record<string, string>> }>> => {
  if (await isFile(join(dir, SINGLE))) return E.right({ files: [SINGLE] });
  if (!(await isFile(join(dir, INDEX)))) {
    return E.left(
      bad(
        dir,
        `neither ${SINGLE} nor ${INDEX} is there`,
        "point at a Hugging Face model directory with safetensors weights",
      ),
    );
  }
  const idx = await readIndex(dir);
  if (E.isLeft(idx)) return idx;
  const files = [...new Set(Object.values(idx.right))].sort();
  for (const f of files) {
    if (!(await isFile(join(dir, f)))) {
      return E.left(
        bad(dir, `shard ${f}, named in ${INDEX}, is missing`, "copy every shard the index names into the directory"),
      );
    }
  }
  return E.right({ files, map: idx.right });
};

/** Every tensor of the directory's checkpoint (single file or shards), located by the headers alone. */
export const openDirTensors = (dir: string): TE.TaskEither<AppError, DirHeaders> => async () => {
  const found = await dirFiles(dir);
  if (E.isLeft(found)) return found;
  const { files, map } = found.right;
  const tensors = new Map<string, StoredTensor>(), dtypes = new Set<Dtype>(), truncated: StFile[] = [];
  let metadata: Readonly<Record<string, string>> = {};
  for (const f of files) {
    const r = await openSafetensors(join(dir, f))();
    if (E.isLeft(r)) return r;
    if (f === files[0]) metadata = r.right.header.metadata;
    if (r.right.truncated !== undefined) truncated.push(r.right);
    for (const x of r.right.tensors) {
      dtypes.add(x.dtype);
      if (map === undefined || map[x.name] === f) tensors.set(x.name, x);
    }
  }
  const lost = map === undefined ? undefined : Object.keys(map).find((k) => !tensors.has(k));
  if (lost !== undefined) return E.left(bad(dir, `tensor ${lost} is not in shard ${map![lost]} as ${INDEX} says`));
  return E.right({ files, dtypes: [...dtypes], metadata, tensors, truncated });
};

/** The directory, when every file holds all its data; otherwise the first truncated file's error. */
export const wholeDir = (d: DirHeaders): E.Either<AppError, DirHeaders> =>
  d.truncated.length === 0 ? E.right(d) : E.map(() => d)(wholeFile(d.truncated[0]!));

/** Every tensor of the directory's checkpoint, widened to f32 (for tests and small models; loaders go by slot). */
export const loadDirTensors = (dir: string): TE.TaskEither<AppError, DirTensors> => async () => {
  const d = E.chain(wholeDir)(await openDirTensors(dir)());
  if (E.isLeft(d)) return d;
  const tensors = new Map<string, NamedTensor>();
  for (const [k, x] of d.right.tensors) {
    const data = await readStoredF32(x)();
    if (E.isLeft(data)) return data;
    tensors.set(k, { name: k, shape: x.shape, data: data.right });
  }
  return E.right({ files: d.right.files, dtypes: d.right.dtypes, metadata: d.right.metadata, tensors });
};

/** transformers' default `max_shard_size` ("5GB", decimal: save_pretrained). */
export const DEFAULT_MAX_SHARD_BYTES = 5e9;

/**
 * Split tensors into shards in order, as transformers does: a tensor starts a new shard when it would take the
 * current one past `maxShardBytes`; a tensor larger than that gets a shard of its own.
 */
export const planShards = <T>(xs: ReadonlyArray<T>, bytes: (x: T) => number, maxShardBytes: number): T[][] => {
  const shards: T[][] = [[]];
  let size = 0;
  for (const x of xs) {
    if (size > 0 && size + bytes(x) > maxShardBytes) [size] = [0, shards.push([])];
    shards[shards.length - 1]!.push(x);
    size += bytes(x);
  }
  return shards;
};

/** `model-00001-of-00003.safetensors`, …; or `model.safetensors` alone. */
export const shardNames = (n: number): ReadonlyArray<string> => {
  const pad = (k: number) => String(k).padStart(5, "0");
  return n === 1 ? [SINGLE] : Array.from({ length: n }, (_, k) => `model-${pad(k + 1)}-of-${pad(n)}.safetensors`);
};

/**
 * Write tensors, streaming, as one file or as shards of at most `maxShardBytes` each with an index as
 * transformers writes it (json.dumps(index, indent=2, sort_keys=True) + newline). Returns the file names.
 */
export const writeDirTensors = (
  dir: string,
  tensors: ReadonlyArray<TensorOut>,
  metadata: Readonly<Record<string, string>>,
  maxShardBytes = Infinity,
): TE.TaskEither<AppError, ReadonlyArray<string>> =>
async () => {
  const shards = planShards(tensors, bytesOf, maxShardBytes), names = shardNames(shards.length);
  for (let k = 0; k < shards.length; k++) {
    const r = await writeSafetensors(join(dir, names[k]!), shards[k]!, metadata)();
    if (E.isLeft(r)) return r;
  }
  if (shards.length === 1) return E.right(names);
  const where = shards.flatMap((s, k) => s.map((x) => [x.name, names[k]!] as const));
  const index = {
    metadata: { total_size: tensors.reduce((s, x) => s + bytesOf(x), 0) },
    weight_map: Object.fromEntries([...where].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  const r = await writeBytesAtomic(
    join(dir, INDEX),
    "safetensors index",
    new TextEncoder().encode(JSON.stringify(index, null, 2) + "\n"),
  )();
  return E.map(() => [...names, INDEX])(r);
};

/** Write f32 tensors in one dtype as one file, or as shards of at most `maxShardBytes` each with an index. */
export const saveDirTensors = (
  dir: string,
  tensors: ReadonlyArray<NamedTensor>,
  dtype: Dtype,
  metadata: Readonly<Record<string, string>>,
  maxShardBytes = Infinity,
): TE.TaskEither<AppError, ReadonlyArray<string>> =>
  writeDirTensors(dir, tensors.map((x) => outFromF32(x, dtype)), metadata, maxShardBytes);
