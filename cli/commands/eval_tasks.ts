/**
 * The downstream half of `inheritune eval` (and compare's --tasks): which tasks (bundled by name, or a
 * user's file and its type), the model scored on them on the chosen backend, and the results printed
 * as a table (task, metric, value, ± stderr, n) and the time each task took, or as one JSON object.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { BackendArg, withBackend } from "../../adapters/devices/backend.ts";
import { bundledTasks, fileTask, type TaskSource } from "../../adapters/eval/bundled.ts";
import { DEFAULT_TASK_ROWS, evaluateTasks, type TaskRun } from "../../adapters/eval/evaluate.ts";
import { scorerFactory } from "../../adapters/eval/scorer.ts";
import { loadTokenizer } from "../../adapters/formats/models.ts";
import { loadModelOrCheckpoint } from "../../adapters/train/run_dir.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { resultsTable } from "../../core/eval/report.ts";
import { PosIntArg } from "../args.ts";
import { devicesOf, type Io } from "../io.ts";

export const TaskArgs = t.partial({
  tasks: t.string,
  "task-file": t.string,
  "task-type": t.keyof({ mc: null, partial: null, completion: null }, "mc | partial | completion"),
  limit: PosIntArg,
  "log-samples": t.string,
});
export type TaskArgs = t.TypeOf<typeof TaskArgs>;

export const taskFlags = {
  tasks: {
    type: "string",
    help: "bundled tasks, comma-separated: arc_easy,arc_challenge,piqa,boolq,winogrande,lambada_openai,hellaswag",
  },
  "task-file": { type: "string", help: "a task of your own, JSON lines in one of the three schemas (see README)" },
  "task-type": { type: "string", help: "the schema of --task-file: mc | partial | completion" },
  limit: { type: "string", help: "score only the first N documents of each task" },
  "log-samples": {
    type: "string",
    help: "folder for samples_<task>.jsonl: per document its loglikelihoods, pred, gold",
  },
} as const;

export const wantsTasks = (a: TaskArgs): boolean => a.tasks !== undefined || a["task-file"] !== undefined;

/** The tasks the flags name: bundled ones, then the user's file. */
export const taskSources = (a: TaskArgs, io: Io): E.Either<AppError, TaskSource[]> => {
  const file = a["task-file"];
  if ((file === undefined) !== (a["task-type"] === undefined)) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot evaluate on a task file: --task-file and --task-type go together",
        "e.g. --task-file mine.jsonl --task-type mc (or partial, completion)",
      ),
    );
  }
  const bundled = a.tasks === undefined ? E.right([]) : bundledTasks(a.tasks, io.assets);
  return E.map((b: TaskSource[]) => (file === undefined ? b : [...b, fileTask(file, a["task-type"]!)]))(bundled);
};

export const runTasks = async (
  a: TaskArgs & {
    readonly model: string;
    readonly tokenizer?: string;
    readonly batch?: number;
    readonly backend?: BackendArg;
    readonly json?: boolean;
    readonly checkpoint?: boolean;
  },
  io: Io,
): Promise<E.Either<AppError, void>> => {
  const tasks = taskSources(a, io);
  if (E.isLeft(tasks)) return tasks;
  const model = await loadModelOrCheckpoint(a.model, a.checkpoint)();
  if (E.isLeft(model)) return model;
  const tok = await loadTokenizer(model.right, a.tokenizer)();
  if (E.isLeft(tok)) return tok;
  const runs = await withBackend(
    devicesOf(io),
    a.backend,
    (b) =>
      evaluateTasks(scorerFactory(b), model.right, tok.right, tasks.right, {
        rows: a.batch ?? DEFAULT_TASK_ROWS,
        ...(a.limit !== undefined ? { limit: a.limit } : {}),
        ...(a["log-samples"] !== undefined ? { samplesDir: a["log-samples"] } : {}),
        now: io.now,
        onTask: (
          name,
          r,
        ) => (a.json ? undefined : io.err(`${name}: ${r.metrics.n} documents in ${r.seconds.toFixed(1)} s\n`)),
      }),
  );
  if (E.isLeft(runs)) return runs;
  const results = Object.fromEntries(Object.entries(runs.right).map(([k, r]: [string, TaskRun]) => [k, r.metrics]));
  const seconds = Object.fromEntries(Object.entries(runs.right).map(([k, r]) => [k, +r.seconds.toFixed(3)]));
  io.out(a.json ? JSON.stringify({ model: a.model, results, seconds }) + "\n" : resultsTable(results));
  return E.right(undefined);
};
