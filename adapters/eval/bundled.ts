/**
 * The bundled tasks (assets/eval, origin and licence in its README.md) by their lm-evaluation-harness
 * names, and a user's own task file; an unknown name is one error listing the known ones.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import type { EvalDoc, TaskType } from "../../core/eval/requests.ts";
import { type FileTaskType, loadHellaswag, loadTaskFile } from "./task_files.ts";

export interface TaskSource {
  readonly name: string;
  readonly type: TaskType;
  readonly file: string;
  readonly chance?: number; // accuracy of a uniform guess, for the chart
}

const BUNDLED: ReadonlyArray<Omit<TaskSource, "file"> & { readonly fileName: string }> = [
  { name: "arc_easy", type: "mc", fileName: "arc_easy.jsonl", chance: 0.25 },
  { name: "arc_challenge", type: "mc", fileName: "arc_challenge.jsonl", chance: 0.25 },
  { name: "piqa", type: "mc", fileName: "piqa.jsonl", chance: 0.5 },
  { name: "boolq", type: "mc", fileName: "boolq.jsonl" },
  { name: "winogrande", type: "partial", fileName: "winogrande.jsonl", chance: 0.5 },
  { name: "lambada_openai", type: "completion", fileName: "lambada_openai.jsonl" },
  { name: "hellaswag", type: "hellaswag", fileName: "hellaswag_val_full.txt.br", chance: 0.25 },
];

export const BUNDLED_TASKS: ReadonlyArray<string> = BUNDLED.map((b) => b.name);

/** The bundled tasks named in a comma-separated list, in its order, from the assets folder. */
export const bundledTasks = (names: string, assets: string): E.Either<AppError, TaskSource[]> => {
  const out: TaskSource[] = [];
  for (const name of names.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const b = BUNDLED.find((x) => x.name === name);
    if (b === undefined) {
      return E.left(
        appError(
          "BadArgs",
          `Cannot evaluate on task ${name}: no such bundled task`,
          `known tasks: ${BUNDLED_TASKS.join(", ")}`,
        ),
      );
    }
    out.push({
      name: b.name,
      type: b.type,
      file: join(assets, "eval", b.fileName),
      ...(b.chance ? { chance: b.chance } : {}),
    });
  }
  if (out.length === 0) {
    return E.left(
      appError("BadArgs", "Cannot evaluate: --tasks names no task", `known tasks: ${BUNDLED_TASKS.join(", ")}`),
    );
  }
  return E.right(out);
};

/** A user's task file; its name is the file's, without folders and extension. */
export const fileTask = (file: string, type: FileTaskType): TaskSource => ({
  name: file.replace(/^.*[\\/]/, "").replace(/\.jsonl?$/, ""),
  type,
  file,
});

/** A task's documents, the first `limit` of them when given (file order). */
export const loadTask = async (t: TaskSource, limit?: number): Promise<E.Either<AppError, EvalDoc[]>> => {
  const docs = t.type === "hellaswag" ? await loadHellaswag(t.file) : await loadTaskFile(t.file, t.type);
  return E.map((d: EvalDoc[]) => (limit === undefined ? d : d.slice(0, limit)))(docs);
};
