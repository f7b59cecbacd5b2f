/**
 * One safetensors file through a file handle, never read whole: the header is read and checked first
 * (core/codecs/safetensors_header.ts), giving every tensor's dtype, shape and byte range (`StFile`, values
 * unread); a tensor's bytes are read on demand, one range at a time, into a buffer of their own. F16 and BF16
 * widen to f32 only when asked. Writing streams tensor by tensor from `TensorOut`s, whose bytes are made when
 * written (read from another file, or narrowed from f32 with round-to-nearest-even), atomically
 * (adapters/fs/atomic_write.ts). Little-endian hosts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type FileHandle, open } from "node:fs/promises";
import { bytesToF32, f32ToBytes } from "../../core/codecs/half.ts";
import {
  decodeStHeader,
  type Dtype,
  DTYPES,
  encodeStHeader,
  MAX_HEADER_BYTES,
  pastTheEnd,
  type StHeader,
} from "../../core/codecs/safetensors_header.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { writeAll, writeFileAtomic } from "../fs/atomic_write.ts";
import { readExactly } from "../fs/files.ts";

export interface NamedTensor {
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly data: Float32Array;
}
export interface LoadedSafetensors {
  readonly header: StHeader;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
}
/** A tensor as stored: its bytes lie at [offset, offset + bytes) of the file at `path`. */
export interface StoredTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: ReadonlyArray<number>;
  readonly path: string;
  readonly offset: number;
  readonly bytes: number;
}
/** A file's header with its tensors located, values unread; `truncated` says why the data is not all there. */
export interface StFile {
  readonly path: string;
  readonly header: StHeader;
  readonly tensors: ReadonlyArray<StoredTensor>; // file order
  readonly truncated?: string;
}

const bad = (path: string, why: string) =>
  appError(
    "BadFile",
    `Cannot read safetensors file ${path}: ${why}`,
    "the file is corrupt or not safetensors; download or export it again",
  );

/** The header, decoded without trusting it against the file's length (openSafetensors says what is missing). */
const readHeader = async (fh: FileHandle, path: string): Promise<E.Either<AppError, StFile>> => {
  const size = (await fh.stat()).size;
  const len = new Uint8Array(8);
  if (size < 8 || !(await readExactly(fh, len, 0))) {
    return E.left(bad(path, `it has ${size} bytes, fewer than the 8-byte header length`));
  }
  const n = new DataView(len.buffer).getBigUint64(0, true);
  if (n > BigInt(size - 8)) return E.left(bad(path, `its header claims ${n} bytes but only ${size - 8} follow`));
  if (n > BigInt(MAX_HEADER_BYTES)) {
    return E.left(bad(path, `its header claims ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`));
  }
  const text = new Uint8Array(Number(n));
  if (!(await readExactly(fh, text, 8))) return E.left(bad(path, "the file ended inside its header"));
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(text);
  } catch {
    return E.left(bad(path, "its header is not UTF-8"));
  }
  const start = 8 + Number(n), dataBytes = size - start;
  return E.map((header: StHeader) => {
    const past = pastTheEnd(header, dataBytes);
    const tensors = header.tensors.map((e) => ({
      name: e.name,
      dtype: e.dtype,
      shape: e.shape,
      path,
      offset: start + e.begin,
      bytes: e.end - e.begin,
    }));
    const truncated = past && `tensor ${past.name} has bytes [${past.begin}, ${past.end}) outside the ${dataBytes} ` +
        "bytes of data (the file is truncated)";
    return { path, header, tensors, ...(truncated ? { truncated } : {}) };
  })(decodeStHeader(json, Infinity, path));
};

/** Open a file for its header only: a truncated file opens, saying so in `truncated`. */
export const openSafetensors = (path: string): TE.TaskEither<AppError, StFile> => async () =>
  withHandle(path, (fh) => readHeader(fh, path));

/** The file, when all its tensors' bytes are there; otherwise the error a loader gives. */
export const wholeFile = (f: StFile): E.Either<AppError, StFile> =>
  f.truncated === undefined ? E.right(f) : E.left(bad(f.path, f.truncated));

/** One tensor's stored bytes, read from its range alone. */
export const readStored = (t: StoredTensor): TE.TaskEither<AppError, Uint8Array> => async () =>
  withHandle(t.path, async (fh) => {
    const out = new Uint8Array(t.bytes);
    return (await readExactly(fh, out, t.offset))
      ? E.right(out)
      : E.left(bad(t.path, `the file ended inside tensor ${t.name}`));
  });

/** One tensor as f32 numbers. */
export const readStoredF32 = (t: StoredTensor): TE.TaskEither<AppError, Float32Array> => async () =>
  E.map((b: Uint8Array) => bytesToF32(b, t.dtype))(await readStored(t)());

/** Read the header only (cheap: for inspect and for checking a file before loading it). */
export const loadSafetensorsHeader = (path: string): TE.TaskEither<AppError, StHeader> => async () =>
  E.chain((f: StFile) => E.map(() => f.header)(wholeFile(f)))(await openSafetensors(path)());

/** Read the tensors `want` accepts (all by default), each widened to f32, one at a time. */
export const loadSafetensors =
  (path: string, want: (name: string) => boolean = () => true): TE.TaskEither<AppError, LoadedSafetensors> =>
  async () => {
    const f = E.chain(wholeFile)(await openSafetensors(path)());
    if (E.isLeft(f)) return f;
    const tensors = new Map<string, NamedTensor>();
    for (const t of f.right.tensors.filter((x) => want(x.name))) {
      const data = await readStoredF32(t)();
      if (E.isLeft(data)) return data;
      tensors.set(t.name, { name: t.name, shape: t.shape, data: data.right });
    }
    return E.right({ header: f.right.header, tensors });
  };

const withHandle = async <A>(
  path: string,
  f: (fh: FileHandle) => Promise<E.Either<AppError, A>>,
): Promise<E.Either<AppError, A>> => {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as { code?: string }).code;
    return E.left(bad(path, code === "ENOENT" ? "no such file" : e instanceof Error ? e.message : String(e)));
  }
  try {
    return await f(fh);
  } finally {
    await fh.close();
  }
};

/** A tensor to write: dtype, shape, and its bytes in that dtype as pieces in order, made only when written. */
export interface TensorOut {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: ReadonlyArray<number>;
  readonly pieces: () => AsyncIterable<Uint8Array>;
}
export const bytesOf = (x: { readonly dtype: Dtype; readonly shape: ReadonlyArray<number> }): number =>
  x.shape.reduce((a, b) => a * b, 1) * DTYPES[x.dtype];

const CHUNK = 1 << 16; // elements narrowed per piece

/** An f32 tensor written as `dtype`, narrowed a chunk at a time (so a whole narrowed copy never exists). */
export const outFromF32 = (x: NamedTensor, dtype: Dtype): TensorOut => ({
  name: x.name,
  dtype,
  shape: x.shape,
  pieces: async function* () {
    if (dtype === "F32") yield f32ToBytes(x.data, dtype);
    else for (let i = 0; i < x.data.length; i += CHUNK) yield f32ToBytes(x.data.subarray(i, i + CHUNK), dtype);
  },
});

/** Every piece of every tensor, in order, tagged with its tensor's index. */
async function* allPieces(tensors: ReadonlyArray<TensorOut>): AsyncGenerator<readonly [number, Uint8Array]> {
  for (let k = 0; k < tensors.length; k++) for await (const b of tensors[k]!.pieces()) yield [k, b];
}

/**
 * Write tensors in the given order, each in its own dtype, atomically; metadata is kept verbatim. The next
 * piece is made (read, converted) while the current one is written, so at most two pieces are held.
 */
export const writeSafetensors = (
  path: string,
  tensors: ReadonlyArray<TensorOut>,
  metadata: Readonly<Record<string, string>> = {},
): TE.TaskEither<AppError, void> =>
  writeFileAtomic(path, "safetensors file", async (fh) => {
    await writeAll(fh, encodeStHeader(tensors, metadata).bytes);
    const sizes = new Array<number>(tensors.length).fill(0),
      check = (k: number) => {
        const x = tensors[k]!;
        if (sizes[k] !== bytesOf(x)) {
          throw new Error(
            `tensor ${x.name} gave ${sizes[k]} bytes but ${x.dtype} [${x.shape.join(", ")}] needs ${bytesOf(x)}`,
          );
        }
      };
    const it = allPieces(tensors);
    let next = it.next(), done = 0;
    next.catch(() => undefined); // a failed write must not leave this rejection unhandled; awaiting it still throws
    for (let cur = await next; !cur.done; cur = await next) {
      const [k, b] = cur.value;
      next = it.next(); // made while this piece is written
      next.catch(() => undefined);
      for (; done < k; done++) check(done);
      sizes[k] = sizes[k]! + b.length;
      await writeAll(fh, b);
    }
    for (; done < tensors.length; done++) check(done);
  });

/** Write f32 tensors (in the given order) in one dtype, atomically; metadata is kept verbatim. */
export const saveSafetensors = (
  path: string,
  tensors: ReadonlyArray<NamedTensor>,
  dtype: Dtype,
  metadata: Readonly<Record<string, string>> = {},
): TE.TaskEither<AppError, void> => writeSafetensors(path, tensors.map((x) => outFromF32(x, dtype)), metadata);
