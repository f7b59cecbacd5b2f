/**
 * A run directory (what `train --out` makes) wherever a model is asked for: plain, it means its exported
 * model/ (adapters/formats/models.ts resolves that); with --checkpoint, its latest checkpoint, whose weights
 * are the run's state at its last saved step. `inspect <run>` also shows the run's settings and progress
 * from the checkpoint's record alone (its header: no tensor is read) and the last metrics line.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import { isFile } from "../fs/files.ts";
import { loadWeights, type Model, type ModelHandle, openModel } from "../formats/models.ts";
import { type CheckpointRecord, loadCheckpoint, readCheckpointRecord } from "./checkpoint.ts";
import { CHECKPOINT_FILE, type Metrics, METRICS_FILE, MODEL_DIR } from "./settings.ts";

/** Whether `dir` is a run directory: it holds a training checkpoint. */
export const isRunDir = (dir: string): Promise<boolean> => isFile(join(dir, CHECKPOINT_FILE));

const notARun = (path: string): AppError =>
  appError(
    "BadArgs",
    `Cannot use --checkpoint with ${path}: it is not a run directory (no ${CHECKPOINT_FILE} in it)`,
    "give the --out directory of a train run, or leave --checkpoint out",
  );

/** The run's checkpoint as a model handle with its weights; the run directory holds its tokenizer (loop.ts). */
const checkpointHandle = (run: string): TE.TaskEither<AppError, ModelHandle> => async () => {
  if (!(await isRunDir(run))) return E.left(notARun(run));
  const ck = await loadCheckpoint(join(run, CHECKPOINT_FILE))();
  if (E.isLeft(ck)) return ck;
  const source = run;
  const disk = { format: `inheritune checkpoint (step ${ck.right.progress.step})`, dtype: "F32" };
  const model: Model = { source, spec: ck.right.spec, weights: ck.right.state.weights, disk };
  return E.right({ source, spec: model.spec, disk, bin: model });
};

/** openModel, or with `checkpoint` the run's latest checkpoint. */
export const openModelOrCheckpoint = (path: string, checkpoint = false): TE.TaskEither<AppError, ModelHandle> =>
  checkpoint ? checkpointHandle(path) : openModel(path);

/** loadModel, or with `checkpoint` the run's latest checkpoint. */
export const loadModelOrCheckpoint = (path: string, checkpoint = false): TE.TaskEither<AppError, Model> => async () => {
  const h = await openModelOrCheckpoint(path, checkpoint)();
  return E.isLeft(h) ? h : loadWeights(h.right)();
};

export interface RunInfo {
  readonly run: string;
  readonly checkpoint: CheckpointRecord;
  readonly last: Metrics | null;
  readonly finished: boolean; // model/ exported
}

/** How far a run got: its checkpoint's record and its last metrics line; undefined when `dir` is not a run. */
export const runInfo = async (dir: string): Promise<E.Either<AppError, RunInfo | undefined>> => {
  if (!(await isRunDir(dir))) return E.right(undefined);
  const rec = await readCheckpointRecord(join(dir, CHECKPOINT_FILE))();
  if (E.isLeft(rec)) return rec;
  const lines = await readFile(join(dir, METRICS_FILE), "utf8").then((t) => t.trim().split("\n"), () => []);
  let last: Metrics | null = null;
  try {
    last = lines.length > 0 && lines.at(-1) !== "" ? (JSON.parse(lines.at(-1)!) as Metrics) : null;
  } catch {
    last = null; // a line cut by a crash: the checkpoint's record still says where the run stands
  }
  return E.right({
    run: dir,
    checkpoint: rec.right,
    last,
    finished: await isFile(join(dir, MODEL_DIR, "config.json")),
  });
};
