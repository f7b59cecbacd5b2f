/**
 * Documents from a Parquet file (Hugging Face datasets, FineWeb): the strings of one column, `field`,
 * read with hyparquet (pure JS, MIT) a row group at a time, so memory holds one row group's column,
 * not the file. Snappy is hyparquet's own; ZSTD pages go through fzstd, GZIP and BROTLI through
 * node:zlib (the codecs Hugging Face and pyarrow write); another codec is refused with its name.
 * @module
 */
import { decompress as zstdDecompress } from "fzstd";
import { asyncBufferFromFile, type Compressors, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { brotliDecompressSync, gunzipSync } from "node:zlib";

const compressors: Compressors = {
  ZSTD: (input, n) => zstdDecompress(input, new Uint8Array(n)),
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};

/** A document, or a failure naming the row (or the footer) where it happened. */
export type ParquetEvent =
  | { readonly _tag: "doc"; readonly text: string; readonly read: number }
  | { readonly _tag: "error"; readonly why: string; readonly where: string };

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function* parquetDocuments(path: string, field: string): AsyncGenerator<ParquetEvent> {
  let meta, file;
  try {
    file = await asyncBufferFromFile(path);
    meta = await parquetMetadataAsync(file);
  } catch (e) {
    return yield { _tag: "error", why: `its footer cannot be read (${why(e)})`, where: "" };
  }
  const columns = meta.schema.slice(1).map((s) => s.name);
  if (!columns.includes(field)) {
    return yield {
      _tag: "error",
      why: `it has no column "${field}" (columns: ${columns.join(", ")})`,
      where: "",
    };
  }
  const total = Number(meta.num_rows);
  let row0 = 0;
  for (const [g, rg] of meta.row_groups.entries()) {
    const n = Number(rg.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file,
        metadata: meta,
        columns: [field],
        rowStart: row0,
        rowEnd: row0 + n,
        compressors,
      });
    } catch (e) {
      return yield {
        _tag: "error",
        why: `it cannot be decoded (${why(e)})`,
        where: `row group ${g} (rows ${row0}–${row0 + n - 1})`,
      };
    }
    for (const [i, r] of rows.entries()) {
      const text = r[field];
      if (typeof text !== "string") {
        return yield {
          _tag: "error",
          why: `its "${field}" is ${text === null ? "null" : typeof text}, not a string`,
          where: `row ${row0 + i}`,
        };
      }
      yield { _tag: "doc", text, read: Math.round((file.byteLength * (row0 + i + 1)) / Math.max(1, total)) };
    }
    row0 += n;
  }
}
