/**
 * Writing files so that a reader sees either nothing or the whole file: write to a temporary file
 * beside the target through a file handle, fsync, then rename over the target. A failure removes
 * the temporary file and becomes an IoFailure naming the path. Uses node:fs (Node and Deno).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { type AppError, appError } from "../../core/errors.ts";

let counter = 0;
/** A fresh name beside `path` for a temporary file or directory. */
export const tempBeside = (path: string): string =>
  `${path}.tmp-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** An AppError thrown through code that only knows exceptions (e.g. a tensor source read while writing). */
export const isAppError = (e: unknown): e is AppError =>
  typeof e === "object" && e !== null && "_tag" in e && "message" in e && "hint" in e;

export const ioFailure = (what: string, path: string, e: unknown): AppError =>
  appError(
    "IoFailure",
    `Cannot write ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`,
    "check that the folder exists, is writable, and the disk has room",
  );

/** Write all of `bytes` at the handle's current end (write may take less than asked). */
export const writeAll = async (fh: FileHandle, bytes: Uint8Array): Promise<void> => {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
};

/**
 * Test seam, a full disk: while a fault is set, a write to a file whose target path it accepts fails
 * with ENOSPC once `afterBytes` bytes are written. Returns the function that clears it.
 */
let diskFull: { readonly accepts: (path: string) => boolean; readonly afterBytes: number } | undefined;
export const simulateFullDisk = (accepts: (path: string) => boolean, afterBytes = 0): () => void => {
  diskFull = { accepts, afterBytes };
  return () => void (diskFull = undefined);
};

const filling = (fh: FileHandle, path: string): FileHandle => {
  const fault = diskFull;
  if (fault === undefined || !fault.accepts(path)) return fh;
  let written = 0;
  const write = async (b: Uint8Array, off = 0, len = b.length - off) => {
    if (written + len > fault.afterBytes) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write (${path})`), { code: "ENOSPC" });
    }
    written += len;
    return fh.write(b, off, len);
  };
  return new Proxy(fh, {
    get: (t, k) => {
      const v: unknown = k === "write" ? write : Reflect.get(t, k);
      return typeof v === "function" && k !== "write" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
};

/** Run `fill` against a handle on a temporary file, then fsync and rename it to `path`. */
export const writeFileAtomic =
  (path: string, what: string, fill: (fh: FileHandle) => Promise<void>): TE.TaskEither<AppError, void> => async () => {
    const tmp = tempBeside(path);
    let fh: FileHandle | undefined;
    try {
      fh = await open(tmp, "wx");
      await fill(filling(fh, path));
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(tmp, path);
      return E.right(undefined);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      return E.left(isAppError(e) ? e : ioFailure(what, path, e)); // a failed read while filling keeps its own error
    }
  };

export const writeBytesAtomic = (path: string, what: string, bytes: Uint8Array): TE.TaskEither<AppError, void> =>
  writeFileAtomic(path, what, (fh) => writeAll(fh, bytes));
