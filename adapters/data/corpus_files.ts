/**
 * Which files make a corpus: one file, a directory (searched recursively) or a glob (`*` within a
 * path segment, `**` across segments, `?` one character), in sorted path order so the document
 * stream is the same on every machine. Kinds, by name: `.txt`, `.jsonl` (also Dolma's `.json.gz`),
 * each plain, `.gz` or `.zst`, and `.parquet`.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import type { Codec } from "./byte_streams.ts";

export type FileKind =
  | { readonly _tag: "text"; readonly lines: "txt" | "jsonl"; readonly codec: Codec }
  | { readonly _tag: "parquet" };

export interface CorpusFiles {
  readonly files: ReadonlyArray<string>;
  readonly bytes: number; // on disk (compressed), for progress
}

const KIND = /\.(txt|jsonl|json|parquet)(\.gz|\.zst)?$/;
export const KINDS_HELP = ".txt, .jsonl or .parquet file (.txt and .jsonl also as .gz or .zst)";

/** The kind a file's name says, or undefined for a name no reader takes. */
export const kindOf = (path: string): FileKind | undefined => {
  const m = KIND.exec(path);
  if (m === null) return undefined;
  const [, ext, z] = m, codec: Codec = z === ".gz" ? "gzip" : z === ".zst" ? "zstd" : "none";
  if (ext === "parquet") return z === undefined ? { _tag: "parquet" } : undefined;
  if (ext === "json" && codec === "none") return undefined; // a plain .json may be one JSON value, not lines
  return { _tag: "text", lines: ext === "txt" ? "txt" : "jsonl", codec };
};

const isGlob = (p: string) => /[*?]/.test(p);

/** A glob as a regular expression over paths relative to its static base, with "/" separators. */
export const globRegex = (pattern: string): RegExp =>
  new RegExp(
    "^" + pattern.split("/").map((seg) =>
      seg === "**" ? "(?:.*/)?" : seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(
        /\?/g,
        "[^/]",
      ) + "/"
    ).join("").replace(/\/$/, "").replace(/\(\?:\.\*\/\)\?$/, ".*") + "$",
  );

const walk = async (p: string): Promise<string[]> =>
  (await stat(p)).isDirectory()
    ? (await Promise.all((await readdir(p)).sort().map((f) => walk(join(p, f))))).flat()
    : [p];

const noFiles = (path: string) =>
  E.left(
    appError(
      "BadFile",
      `Cannot read corpus ${path}: it holds no ${KINDS_HELP}`,
      `give a ${KINDS_HELP}, or a directory or glob of them`,
    ),
  );

/** The corpus files a path or glob names, sorted, with their total size on disk. */
export const listCorpus = async (path: string): Promise<E.Either<AppError, CorpusFiles>> => {
  const parts = path.split(/[\\/]/), g = parts.findIndex(isGlob);
  const base = g < 0 ? path : parts.slice(0, g).join("/") || (path.startsWith("/") ? "/" : ".");
  const st = await stat(base).catch(() => undefined);
  if (st === undefined) {
    return E.left(appError("BadFile", `Cannot read corpus ${base}: no such file or directory`, "check the path"));
  }
  let files: string[];
  if (g >= 0) {
    const re = globRegex(parts.slice(g).join("/"));
    files = (await walk(base)).filter((f) => re.test(relative(base, f).split(sep).join("/")) && kindOf(f));
  } else files = st.isDirectory() ? (await walk(path)).filter((f) => kindOf(f) !== undefined) : [path];
  if (files.length === 0 || kindOf(files[0]!) === undefined) return noFiles(path);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return E.right({ files, bytes: sizes.reduce((a, b) => a + b, 0) });
};
