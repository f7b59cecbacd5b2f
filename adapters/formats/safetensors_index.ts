/**
 * A checkpoint's tensors as Hugging Face stores them in a directory: one `model.safetensors`, or
 * shards `model-0000k-of-0000n.safetensors` listed by `model.safetensors.index.json`
 * (`{ metadata: { total_size }, weight_map: { tensor: shard file } }`). Every shard the index names
 * is checked to exist before any is read; each tensor must sit in the shard the index says.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { join } from "node:path";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import { DTYPES } from "../../core/codecs/safetensors_header.ts";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { writeBytesAtomic } from "../fs/atomic_write.ts";
import { isFile, readText } from "../fs/files.ts";
import { loadSafetensors, type NamedTensor, saveSafetensors } from "./safetensors.ts";

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

/** Every tensor of the directory's checkpoint (single file or shards), widened to f32. */
export const loadDirTensors = (dir: string): TE.TaskEither<AppError, DirTensors> => async () => {
  let files: string[], map: Readonly<Record<string, string>> | undefined;
  if (await isFile(join(dir, SINGLE))) files = [SINGLE];
  else if (await isFile(join(dir, INDEX))) {
    const idx = await readIndex(dir);
    if (E.isLeft(idx)) return idx;
    map = idx.right;
    files = [...new Set(Object.values(map))].sort();
    for (const f of files) {
      if (!(await isFile(join(dir, f)))) {
        return E.left(
          bad(dir, `shard ${f}, named in ${INDEX}, is missing`, "copy every shard the index names into the directory"),
        );
      }
    }
  } else {return E.left(
      bad(
        dir,
        `neither ${SINGLE} nor ${INDEX} is there`,
        "point at a Hugging Face model directory with safetensors weights",
      ),
    );}
  const tensors = new Map<string, NamedTensor>(), dtypes = new Set<Dtype>();
  let metadata: Readonly<Record<string, string>> = {};
  for (const f of files) {
    const r = await loadSafetensors(join(dir, f), (n) => map === undefined || map[n] === f)();
    if (E.isLeft(r)) return r;
    if (f === files[0]) metadata = r.right.header.metadata;
    r.right.header.tensors.forEach((e) => dtypes.add(e.dtype));
    for (const [k, v] of r.right.tensors) tensors.set(k, v);
  }
  const lost = map === undefined ? undefined : Object.keys(map).find((k) => !tensors.has(k));
  if (lost !== undefined) return E.left(bad(dir, `tensor ${lost} is not in shard ${map![lost]} as ${INDEX} says`));
  return E.right({ files, dtypes: [...dtypes], metadata, tensors });
};

const bytesOf = (x: NamedTensor, dtype: Dtype) => x.data.length * DTYPES[dtype];

/** Write tensors as one file, or as shards of at most `maxShardBytes` each with an index. */
export const saveDirTensors = (
  dir: string,
  tensors: ReadonlyArray<NamedTensor>,
  dtype: Dtype,
  metadata: Readonly<Record<string, string>>,
  maxShardBytes = Infinity,
): TE.TaskEither<AppError, ReadonlyArray<string>> =>
async () => {
  const shards: NamedTensor[][] = [[]];
  let size = 0;
  for (const x of tensors) {
    if (size > 0 && size + bytesOf(x, dtype) > maxShardBytes) [size] = [0, shards.push([])];
    shards[shards.length - 1]!.push(x);
    size += bytesOf(x, dtype);
  }
  const n = shards.length, pad = (k: number) => String(k).padStart(5, "0");
  const names = n === 1 ? [SINGLE] : shards.map((_, k) => `model-${pad(k + 1)}-of-${pad(n)}.safetensors`);
  for (let k = 0; k < n; k++) {
    const r = await saveSafetensors(join(dir, names[k]!), shards[k]!, dtype, metadata)();
    if (E.isLeft(r)) return r;
  }
  if (n === 1) return E.right(names);
  const index = {
    metadata: { total_size: tensors.reduce((s, x) => s + bytesOf(x, dtype), 0) },
    weight_map: Object.fromEntries(shards.flatMap((s, k) => s.map((x) => [x.name, names[k]!]))),
  };
  const r = await writeBytesAtomic(
    join(dir, INDEX),
    "safetensors index",
    new TextEncoder().encode(JSON.stringify(index, null, 2) + "\n"),
  )();
  return E.map(() => [...names, INDEX])(r);
};
