/**
 * One safetensors file, streamed through a file handle: the header is read and checked first
 * (core/codecs/safetensors_header.ts), then each tensor's byte range straight into its own
 * buffer, so a large file is never held twice. F16 and BF16 widen to f32 on load; writing narrows
 * with round-to-nearest-even. Writes are atomic (adapters/fs/atomic_write.ts). Little-endian hosts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type FileHandle, open } from "node:fs/promises";
import { narrow, widen } from "../../core/codecs/half.ts";
import {
  decodeStHeader,
  type Dtype,
  encodeStHeader,
  MAX_HEADER_BYTES,
  type StHeader,
  type TensorEntry,
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

const bad = (path: string, why: string) =>
  appError(
    "BadFile",
    `Cannot read safetensors file ${path}: ${why}`,
    "the file is corrupt or not safetensors; download or export it again",
  );

const readHeader = async (
  fh: FileHandle,
  path: string,
): Promise<E.Either<AppError, { header: StHeader; dataStart: number }>> => {
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
  return E.map((header: StHeader) => ({ header, dataStart: 8 + Number(n) }))(
    decodeStHeader(json, size - 8 - Number(n), path),
  );
};

const readTensor = async (fh: FileHandle, e: TensorEntry, dataStart: number): Promise<Float32Array | undefined> => {
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (e.dtype === "F32") {
    const out = new Float32Array(n);
    return (await readExactly(fh, new Uint8Array(out.buffer), dataStart + e.begin)) ? out : undefined;
  }
  const bits = new Uint16Array(n);
  return (await readExactly(fh, new Uint8Array(bits.buffer), dataStart + e.begin)) ? widen(bits, e.dtype) : undefined;
};

/** Read the header only (cheap: for inspect and for checking a file before loading it). */
export const loadSafetensorsHeader = (path: string): TE.TaskEither<AppError, StHeader> => async () =>
  withHandle(path, async (fh) => E.map((h: { header: StHeader }) => h.header)(await readHeader(fh, path)));

/** Read the tensors `want` accepts (all by default), each widened to f32. */
export const loadSafetensors =
  (path: string, want: (name: string) => boolean = () => true): TE.TaskEither<AppError, LoadedSafetensors> =>
  async () =>
    withHandle(path, async (fh) => {
      const h = await readHeader(fh, path);
      if (E.isLeft(h)) return h;
      const tensors = new Map<string, NamedTensor>();
      for (const e of h.right.header.tensors.filter((x) => want(x.name))) {
        const data = await readTensor(fh, e, h.right.dataStart);
        if (data === undefined) return E.left(bad(path, `the file ended inside tensor ${e.name}`));
        tensors.set(e.name, { name: e.name, shape: e.shape, data });
      }
      return E.right({ header: h.right.header, tensors });
    });

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

const CHUNK = 1 << 16; // elements narrowed per write

/** Write tensors (in the given order) in one dtype, atomically; metadata is kept verbatim. */
export const saveSafetensors = (
  path: string,
  tensors: ReadonlyArray<NamedTensor>,
  dtype: Dtype,
  metadata: Readonly<Record<string, string>> = {},
): TE.TaskEither<AppError, void> =>
  writeFileAtomic(path, "safetensors file", async (fh) => {
    const { bytes } = encodeStHeader(tensors.map((x) => ({ name: x.name, dtype, shape: x.shape })), metadata);
    await writeAll(fh, bytes);
    for (const x of tensors) {
      if (x.data.length !== x.shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`tensor ${x.name} has ${x.data.length} values for shape [${x.shape.join(", ")}]`);
      }
      if (dtype === "F32") await writeAll(fh, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
      else {for (let i = 0; i < x.data.length; i += CHUNK) {
          await writeAll(fh, new Uint8Array(narrow(x.data.subarray(i, i + CHUNK), dtype).buffer));
        }}
    }
  });
