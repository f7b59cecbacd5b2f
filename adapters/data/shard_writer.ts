/**
 * Writing a token corpus as it is made, in bounded memory: token shards (core/train/token_shards.ts)
 * filled through a buffer and written as it fills, their header (which holds the count) written last
 * at offset 0; and the document starts, which the validation split needs only once the total is
 * known, kept in a scratch file rather than in memory and scanned once at the end.
 * @module
 */
import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { encodeShardHeader, SHARD_HEADER_BYTES, type TokenWidth } from "../../core/train/token_shards.ts";
import { writeAll } from "../fs/atomic_write.ts";
import { readExactly } from "../fs/files.ts";

export interface ShardEntry {
  file: string;
  tokens: number;
}

export const shardName = (i: number): string => `shard_${String(i).padStart(5, "0")}.tok`;

/** Shards of `shardTokens` tokens in `dir`, through a buffer of `bufferTokens`. */
export const shardWriter = (dir: string, width: TokenWidth, shardTokens: number, bufferTokens = 1 << 20) => {
  const buf = width === 2 ? new Uint16Array(bufferTokens) : new Uint32Array(bufferTokens);
  const shards: ShardEntry[] = [];
  let fh: FileHandle | undefined, inShard = 0, fill = 0;
  const drain = async () => {
    if (fill === 0) return;
    fh ??= await open(join(dir, shardName(shards.length)), "w");
    if (inShard === fill) await writeAll(fh, new Uint8Array(SHARD_HEADER_BYTES)); // room for the header
    await writeAll(fh, new Uint8Array(buf.buffer, 0, fill * width));
    fill = 0;
  };
  const endShard = async () => {
    await drain();
    if (fh === undefined) return;
    await fh.write(encodeShardHeader(width, inShard), 0, SHARD_HEADER_BYTES, 0);
    await fh.sync();
    await fh.close();
    shards.push({ file: shardName(shards.length), tokens: inShard });
    [fh, inShard] = [undefined, 0];
  };
  return {
    shards,
    /** Append ids, in order. */
    push: async (ids: Uint32Array) => {
      for (let at = 0; at < ids.length;) {
        const n = Math.min(ids.length - at, shardTokens - inShard, bufferTokens - fill);
        buf.set(ids.subarray(at, at + n), fill);
        [at, fill, inShard] = [at + n, fill + n, inShard + n];
        if (inShard === shardTokens) await endShard();
        else if (fill === bufferTokens) await drain();
      }
    },
    end: endShard,
    abort: async () => void (await fh?.close().catch(() => undefined)),
  };
};

/** Document starts (token positions) in a scratch file; `validationStart` of core/train/token_shards.ts over it. */
export const docStartLog = (path: string, bufferStarts = 1 << 13) => {
  const buf = new Float64Array(bufferStarts);
  let fh: FileHandle | undefined, fill = 0, written = 0;
  const drain = async () => {
    fh ??= await open(path, "w+");
    await writeAll(fh, new Uint8Array(buf.buffer, 0, fill * 8));
    [written, fill] = [written + fill, 0];
  };
  return {
    add: async (start: number) => {
      buf[fill++] = start;
      if (fill === bufferStarts) await drain();
    },
    /** The first start in [cut, total), else the cut (as validationStart). */
    validationStart: async (total: number, valFraction: number): Promise<number> => {
      if (valFraction <= 0) return total;
      const cut = Math.floor(total * (1 - valFraction)), tail = buf.slice(0, fill);
      const hit = (xs: Float64Array) => xs.find((s) => s >= cut && s < total);
      for (let i = 0; i < written; i += bufferStarts) {
        const part = new Float64Array(Math.min(bufferStarts, written - i));
        await readExactly(fh!, new Uint8Array(part.buffer), i * 8);
        const s = hit(part);
        if (s !== undefined) return s;
      }
      return hit(tail) ?? cut;
    },
    remove: async () => {
      await fh?.close().catch(() => undefined);
      await rm(path, { force: true });
    },
  };
};
