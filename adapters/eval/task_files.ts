/**
 * Reading task files into documents (core/eval/requests.ts): JSON lines in the three schemas of the
 * bundled files (assets/eval/README.md) and HellaSwag's six-lines-a-task text (brotli-compressed in
 * the bundle, decompressed with node:zlib). A bad row is one error naming the file, the line and the field.
 * Schemas:
 *   mc          {"query": string, "choices": [string, …], "gold": index}
 *   partial     {"context_options": [string, …], "continuation": string, "gold": index}
 *   completion  {"context": string, "continuation": string}
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { brotliDecompressSync } from "node:zlib";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { completionDoc, type EvalDoc, hellaswagDoc, mcDoc, partialDoc } from "../../core/eval/requests.ts";
import { readBytes } from "../fs/files.ts";

export type FileTaskType = "mc" | "partial" | "completion";

const Strings = t.array(t.string);
const Mc = t.type({ query: t.string, choices: Strings, gold: t.Int });
const Partial = t.type({ context_options: Strings, continuation: t.string, gold: t.Int });
const Completion = t.type({ context: t.string, continuation: t.string });

const SCHEMA: Readonly<Record<FileTaskType, string>> = {
  mc: `{"query": string, "choices": [string, …], "gold": index}`,
  partial: `{"context_options": [string, …], "continuation": string, "gold": index}`,
  completion: `{"context": string, "continuation": string}`,
};

const bad = (file: string, line: number, why: string, type: FileTaskType): AppError =>
  appError(
    "BadFile",
    `Cannot read task file ${file}: line ${line}: ${why}`,
    `each line is one JSON object ${SCHEMA[type]}`,
  );

const goldIn = (gold: number, n: number, field: string): string | undefined =>
  n < 2
    ? `field ${field}: expected 2 or more, got ${n}`
    : gold < 0 || gold >= n
    ? `field gold: ${gold} is not an index of the ${n} ${field}`
    : undefined;

/** One row as a document, or why not (naming the field). */
const rowDoc = (type: FileTaskType, row: unknown): E.Either<string, EvalDoc> => {
  const decoded = <A>(c: t.Decoder<unknown, A>) =>
    E.mapLeft((es: t.Errors) => `field ${describeErrors(es.slice(0, 1))}`)(c.decode(row));
  if (type === "completion") {
    return E.map((r: t.TypeOf<typeof Completion>) => completionDoc(r.context, r.continuation))(decoded(Completion));
  }
  if (type === "mc") {
    return pipe(
      decoded(Mc),
      E.chain((r) => {
        const why = goldIn(r.gold, r.choices.length, "choices");
        return why === undefined ? E.right(mcDoc(r.query, r.choices, r.gold)) : E.left(why);
      }),
    );
  }
  return pipe(
    decoded(Partial),
    E.chain((r) => {
      const why = goldIn(r.gold, r.context_options.length, "context_options");
      return why === undefined ? E.right(partialDoc(r.context_options, r.continuation, r.gold)) : E.left(why);
    }),
  );
};

/** Documents of a JSON-lines text (blank lines skipped; line numbers count from 1). */
export const decodeTaskLines = (file: string, type: FileTaskType, text: string): E.Either<AppError, EvalDoc[]> => {
  const docs: EvalDoc[] = [];
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      return E.left(bad(file, i + 1, `not JSON (${e instanceof Error ? e.message : String(e)})`, type));
    }
    const d = rowDoc(type, row);
    if (E.isLeft(d)) return E.left(bad(file, i + 1, d.left, type));
    docs.push(d.right);
  }
  if (docs.length === 0) return E.left(bad(file, 1, "the file holds no rows", type));
  return E.right(docs);
};

/** HellaSwag in klosax's text form: per task the context line, the label (0..3), four endings. */
export const decodeHellaswag = (file: string, text: string): E.Either<AppError, EvalDoc[]> => {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const docs: EvalDoc[] = [];
  for (let i = 0; i + 6 <= lines.length; i += 6) {
    const label = Number(lines[i + 1]);
    if (!/^[0-3]$/.test(lines[i + 1]!.trim()) || !Number.isInteger(label)) {
      return E.left(
        appError(
          "BadFile",
          `Cannot read task file ${file}: line ${i + 2}: field label: expected 0..3, got ${
            JSON.stringify(lines[i + 1])
          }`,
          "each task is six lines: context, label, four endings",
        ),
      );
    }
    docs.push(hellaswagDoc(lines[i]!, lines.slice(i + 2, i + 6), label));
  }
  if (lines.length % 6 !== 0 || docs.length === 0) {
    return E.left(
      appError(
        "BadFile",
        `Cannot read task file ${file}: it has ${lines.length} lines, not a positive multiple of 6`,
        "each task is six lines: context, label, four endings",
      ),
    );
  }
  return E.right(docs);
};

const utf8 = (file: string, bytes: Uint8Array): E.Either<AppError, string> =>
  E.tryCatch(
    () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    () => appError("BadFile", `Cannot read task file ${file}: it is not UTF-8 text`, "give a UTF-8 JSON-lines file"),
  );

/** A task file's text: brotli-decompressed when its name ends in .br. */
export const readTaskText = async (file: string): Promise<E.Either<AppError, string>> => {
  const bytes = await readBytes(file, "task file")();
  if (E.isLeft(bytes)) return bytes;
  if (!file.endsWith(".br")) return utf8(file, bytes.right);
  return pipe(
    E.tryCatch(
      () => new Uint8Array(brotliDecompressSync(bytes.right)),
      (e) =>
        appError(
          "BadFile",
          `Cannot decompress task file ${file}: ${e instanceof Error ? e.message : String(e)}`,
          "the file is damaged: copy it again",
        ),
    ),
    E.chain((b) => utf8(file, b)),
  );
};

export const loadTaskFile = async (file: string, type: FileTaskType): Promise<E.Either<AppError, EvalDoc[]>> =>
  E.chain((text: string) => decodeTaskLines(file, type, text))(await readTaskText(file));

export const loadHellaswag = async (file: string): Promise<E.Either<AppError, EvalDoc[]>> =>
  E.chain((text: string) => decodeHellaswag(file, text))(await readTaskText(file));
