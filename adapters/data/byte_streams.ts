/**
 * A corpus file's bytes as a stream of decompressed chunks, read a buffer at a time (never the whole
 * file): plain, gzip (node:zlib, multi-member files as `cat a.gz b.gz` makes them) or zstd (fzstd,
 * pure JS: Node 20's node:zlib has no zstd, and this runs under Deno too; concatenated frames too).
 * Each chunk says how many bytes of the file on disk were read when it came out, so an error can
 * name where the damage lies and progress can be shown against the sizes on disk.
 * Lines are cut as node:readline cuts them (\n, \r\n or a lone \r), UTF-8 decoded across chunks.
 * @module
 */
import { Decompress } from "fzstd";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

export type Codec = "none" | "gzip" | "zstd";
export interface Chunk {
  readonly bytes: Uint8Array;
  readonly read: number; // bytes of the file read so far
}

/** Thrown by a chunk stream: the decoder's own message and how far into the file it got. */
export class DamagedFile extends Error {
  constructor(message: string, readonly read: number) {
    super(message);
  }
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function* plainChunks(path: string, readBytes: number): AsyncGenerator<Chunk> {
  let read = 0;
  for await (const b of createReadStream(path, { highWaterMark: readBytes })) {
    read += (b as Uint8Array).length;
    yield { bytes: b as Uint8Array, read };
  }
}

async function* gzipChunks(path: string, readBytes: number): AsyncGenerator<Chunk> {
  const src = createReadStream(path, { highWaterMark: readBytes }), gunzip = createGunzip();
  let read = 0;
  src.on("data", (b) => void (read += b.length));
  pipeline(src, gunzip, () => undefined); // an error destroys gunzip with it, which the loop below throws
  try {
    for await (const b of gunzip) yield { bytes: b as Uint8Array, read };
  } catch (e) {
    throw new DamagedFile(`gzip: ${why(e)}`, read);
  }
}

async function* zstdChunks(path: string, readBytes: number): AsyncGenerator<Chunk> {
  const out: Uint8Array[] = [], z = new Decompress((b) => void out.push(b));
  let read = 0;
  const push = (b: Uint8Array, last: boolean) => {
    try {
      z.push(b, last);
    } catch (e) {
      throw new DamagedFile(`zstd: ${why(e)}`, read);
    }
  };
  for await (const b of createReadStream(path, { highWaterMark: readBytes })) {
    read += (b as Uint8Array).length;
    push(b as Uint8Array, false);
    for (const o of out.splice(0)) yield { bytes: o, read };
  }
  push(new Uint8Array(0), true);
  for (const o of out.splice(0)) yield { bytes: o, read };
}

export const fileChunks = (path: string, codec: Codec, readBytes = 1 << 16): AsyncGenerator<Chunk> =>
  codec === "gzip"
    ? gzipChunks(path, readBytes)
    : codec === "zstd"
    ? zstdChunks(path, readBytes)
    : plainChunks(path, readBytes);

const EOL = /\r\n|\n|\r/;

/** The text lines of a chunk stream, each with the file bytes read when it was complete. */
export async function* textLines(chunks: AsyncIterable<Chunk>): AsyncGenerator<{ line: string; read: number }> {
  const dec = new TextDecoder("utf-8");
  let carry = "", read = 0;
  for await (const c of chunks) {
    read = c.read;
    carry += dec.decode(c.bytes, { stream: true });
    // A trailing \r may be the first half of \r\n: it waits for the next chunk.
    const end = carry.endsWith("\r") ? carry.length - 1 : carry.length;
    const last = Math.max(carry.lastIndexOf("\n", end - 1), carry.lastIndexOf("\r", end - 1));
    if (last < 0) continue;
    for (const line of carry.slice(0, last + 1).split(EOL).slice(0, -1)) yield { line, read };
    carry = carry.slice(last + 1);
  }
  carry += dec.decode();
  const lines = carry.split(EOL);
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) yield { line, read };
}
