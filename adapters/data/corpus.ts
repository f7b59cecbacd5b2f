/**
 * Text corpora as a stream of documents: a `.txt` or `.jsonl` file, or a directory of them (searched
 * recursively, in sorted path order, so the stream is the same on every machine). A `.txt` file is
 * split into documents by blank lines ("paragraph", the default; PAPER.md "In miniature"), by line,
 * or kept whole ("file"). A `.jsonl` line is one document: the string in its `field` ("text").
 * Read line by line with node:readline, so a large file is never held in memory.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type AppError, appError } from "../../core/errors.ts";

export type DocSplit = "paragraph" | "line" | "file";
export interface CorpusOptions {
  readonly field: string;
  readonly split: DocSplit;
  /** Bytes per read from a file (default 64 KiB, the stream's own). */
  readonly readBytes?: number;
}
export interface CorpusFiles {
  readonly files: ReadonlyArray<string>;
  readonly bytes: number;
}

const KINDS = /\.(txt|jsonl)$/;

/** The corpus files under a path, sorted, with their total size. */
export const listCorpus = async (path: string): Promise<E.Either<AppError, CorpusFiles>> => {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) {
    return E.left(appError("BadFile", `Cannot read corpus ${path}: no such file or directory`, "check the path"));
  }
  const walk = async (p: string): Promise<string[]> =>
    (await stat(p)).isDirectory()
      ? (await Promise.all((await readdir(p)).sort().map((f) => walk(join(p, f))))).flat()
      : KINDS.test(p)
      ? [p]
      : [];
  const files = st.isDirectory() ? await walk(path) : [path];
  if (files.length === 0 || !KINDS.test(files[0]!)) {
    return E.left(
      appError(
        "BadFile",
        `Cannot read corpus ${path}: it holds no .txt or .jsonl file`,
        "give a .txt or .jsonl file, or a directory of them",
      ),
    );
  }
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return E.right({ files, bytes: sizes.reduce((a, b) => a + b, 0) });
};

/** A document, or the first error (then the stream ends); `bytes` counts input consumed so far. */
export type DocEvent = { readonly _tag: "doc"; readonly text: string; readonly bytes: number } | {
  readonly _tag: "error";
  readonly error: AppError;
};

export async function* documents(c: CorpusFiles, o: CorpusOptions): AsyncGenerator<DocEvent> {
  let bytes = 0;
  for (const file of c.files) {
    const lines = createInterface({
      input: createReadStream(file, { encoding: "utf8", highWaterMark: o.readBytes ?? 1 << 16 }),
      crlfDelay: Infinity,
    });
    const jsonl = file.endsWith(".jsonl");
    let para: string[] = [], n = 0;
    const flush = function* (): Generator<DocEvent> {
      if (para.length > 0 && para.some((l) => l.trim() !== "")) yield { _tag: "doc", text: para.join("\n"), bytes };
      para = [];
    };
    for await (const line of lines) {
      n++;
      bytes += line.length + 1; // progress only: UTF-16 units stand in for bytes
      if (jsonl) {
        if (line.trim() === "") continue;
        const text = fieldOf(line, o.field);
        if (text === undefined) {
          yield {
            _tag: "error",
            error: appError(
              "BadFile",
              `Cannot read ${file} line ${n}: it is not a JSON object with a string "${o.field}"`,
              "fix the line, or name the field with --field",
            ),
          };
          return;
        }
        yield { _tag: "doc", text, bytes };
      } else if (o.split === "line") {
        if (line.trim() !== "") yield { _tag: "doc", text: line, bytes };
      } else if (o.split === "paragraph" && line.trim() === "") yield* flush();
      else para.push(line);
    }
    yield* flush();
  }
}

const fieldOf = (line: string, field: string): string | undefined => {
  try {
    const v = (JSON.parse(line) as Record<string, unknown> | null)?.[field];
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
};
