/**
 * Text corpora as a stream of documents, whatever format the dataset ships in (corpus_files.ts lists
 * them): a `.txt` file is split into documents by blank lines ("paragraph", the default; PAPER.md "In
 * miniature"), by line, or kept whole ("file"); a `.jsonl` line is one document, the string in its
 * `field` ("text"); gzip and zstd are decompressed as they are read (byte_streams.ts); a Parquet
 * file gives the strings of its `field` column (parquet_docs.ts). Streamed: a large file is never
 * held in memory. A damaged file ends the stream with one error naming the file and the line, row or
 * byte where reading stopped (the tokenizer then writes nothing).
 * @module
 */
import { stat } from "node:fs/promises";
import { type AppError, appError } from "../../core/errors.ts";
import { DamagedFile, fileChunks, textLines } from "./byte_streams.ts";
import { type CorpusFiles, kindOf } from "./corpus_files.ts";
import { parquetDocuments } from "./parquet_docs.ts";

export { type CorpusFiles, KINDS_HELP, listCorpus } from "./corpus_files.ts";

export type DocSplit = "paragraph" | "line" | "file";
export interface CorpusOptions {
  readonly field: string;
  readonly split: DocSplit;
  /** Bytes per read from a file (default 64 KiB, the stream's own). */
  readonly readBytes?: number;
}

/** A document, or the first error (then the stream ends); `bytes` counts file bytes read so far. */
export type DocEvent = { readonly _tag: "doc"; readonly text: string; readonly bytes: number } | {
  readonly _tag: "error";
  readonly error: AppError;
};

const damaged = (file: string, why: string): DocEvent => ({
  _tag: "error",
  error: appError("BadFile", `Cannot read ${file}: ${why}`, "download the file again, or leave it out of the corpus"),
});

const fieldOf = (line: string, field: string): string | undefined => {
  try {
    const v = (JSON.parse(line) as Record<string, unknown> | null)?.[field];
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
};

async function* textDocuments(file: string, base: number, o: CorpusOptions, jsonl: boolean): AsyncGenerator<DocEvent> {
  const kind = kindOf(file), codec = kind?._tag === "text" ? kind.codec : "none";
  let para: string[] = [], n = 0, bytes = base;
  const flush = function* (): Generator<DocEvent> {
    if (para.length > 0 && para.some((l) => l.trim() !== "")) yield { _tag: "doc", text: para.join("\n"), bytes };
    para = [];
  };
  try {
    for await (const { line, read } of textLines(fileChunks(file, codec, o.readBytes))) {
      n++;
      bytes = base + read;
      if (jsonl) {
        if (line.trim() === "") continue;
        const text = fieldOf(line, o.field);
        if (text === undefined) {
          return yield {
            _tag: "error",
            error: appError(
              "BadFile",
              `Cannot read ${file} line ${n}: it is not a JSON object with a string "${o.field}"`,
              "fix the line, or name the field with --field",
            ),
          };
        }
        yield { _tag: "doc", text, bytes };
      } else if (o.split === "line") {
        if (line.trim() !== "") yield { _tag: "doc", text: line, bytes };
      } else if (o.split === "paragraph" && line.trim() === "") yield* flush();
      else para.push(line);
    }
  } catch (e) {
    const at = e instanceof DamagedFile ? `byte ${e.read.toLocaleString("en-US")} of the file, ` : "";
    return yield damaged(file, `it is damaged (${e instanceof Error ? e.message : String(e)}) at ${at}after line ${n}`);
  }
  yield* flush();
}

export async function* documents(c: CorpusFiles, o: CorpusOptions): AsyncGenerator<DocEvent> {
  let base = 0;
  for (const file of c.files) {
    const kind = kindOf(file);
    if (kind?._tag === "parquet") {
      for await (const ev of parquetDocuments(file, o.field)) {
        if (ev._tag === "error") return yield damaged(`${file}${ev.where === "" ? "" : ` ${ev.where}`}`, ev.why);
        yield { _tag: "doc", text: ev.text, bytes: base + ev.read };
      }
    } else {
      for await (const ev of textDocuments(file, base, o, kind?.lines === "jsonl")) {
        yield ev;
        if (ev._tag === "error") return;
      }
    }
    base += (await stat(file)).size;
  }
}
