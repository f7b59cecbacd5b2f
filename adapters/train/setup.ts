/**
 * What a training run checks before its first step: the settings against the model and the data,
 * and the --out directory: a fresh run needs it free; a resumed one needs a checkpoint made for the
 * same model and settings (anything else would not continue exactly). Metrics lines written after
 * that checkpoint (a crash between checkpoints) are dropped, since the resumed run writes them again.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import { contextLimit, type ModelSpec } from "../../core/model/spec.ts";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";
import { CHECKPOINT_FILE, type Metrics, MODEL_DIR, type TrainData, type TrainSettings } from "./settings.ts";

/** What a start needs to know of its run (adapters/train/loop.ts TrainRun has it). */
export interface RunPlace {
  readonly out: string;
  readonly resume: boolean;
  readonly spec: ModelSpec;
  readonly settings: TrainSettings;
}

/** Problems with settings against the model and data, as one error. */
export const settingsProblem = (spec: ModelSpec, d: TrainData, s: TrainSettings): AppError | undefined => {
  const T = s.ctx;
  const args = (m: string, h: string) => appError("BadArgs", m, h);
  if (T > contextLimit(spec).limit) {
    return args(
      `Cannot train with --ctx ${T}: ${contextLimit(spec).why}`,
      `give --ctx ${contextLimit(spec).limit} or less`,
    );
  }
  if (d.train.length < T + 1) {
    return appError(
      "BadInput",
      `Cannot train: the training split has ${d.train.length} tokens, fewer than one window of ${T + 1}`,
      "give a larger corpus or a smaller --ctx",
    );
  }
  if (d.val.length < T + 1) {
    return appError(
      "BadInput",
      `Cannot evaluate: the validation split has ${d.val.length} tokens, fewer than one window of ${T + 1}`,
      "give a larger corpus (the last 10% is held out) or a smaller --ctx",
    );
  }
  const bad = d.train.find((x) => x < 0 || x >= spec.vocabSize) ?? d.val.find((x) => x < 0 || x >= spec.vocabSize);
  if (bad !== undefined) {
    return appError(
      "BadInput",
      `Cannot train: token ${bad} is outside the model's vocabulary of ${spec.vocabSize}`,
      "tokenize the corpus with the model's tokenizer",
    );
  }
  return undefined;
};

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const firstDiff = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).find((k) => !sameJson(a[k], b[k]));

/** The checkpoint to continue from, checked against this run; undefined on a fresh start. */
export const startingPoint = async (r: RunPlace): Promise<E.Either<AppError, Checkpoint | undefined>> => {
  const path = join(r.out, CHECKPOINT_FILE), exists = (await stat(path).catch(() => undefined)) !== undefined;
  if (!r.resume) {
    const taken = exists || (await stat(join(r.out, MODEL_DIR)).catch(() => undefined)) !== undefined;
    return taken
      ? E.left(
        appError(
          "BadArgs",
          `Cannot start training in ${r.out}: it holds an earlier run`,
          "add --resume to continue it, or choose a new --out",
        ),
      )
      : E.right(undefined);
  }
  if (!exists) return E.left(appError("BadArgs", `Cannot resume: ${path} does not exist`, "start without --resume"));
  const ck = await loadCheckpoint(path)();
  if (E.isLeft(ck)) return ck;
  if (!sameJson(ck.right.spec, r.spec)) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot resume from ${path}: it was made for another model shape`,
        "give the same model and --layers as the run you resume",
      ),
    );
  }
  const k = firstDiff(ck.right.settings, r.settings);
  if (k !== undefined) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot resume from ${path}: it was made with ${k} ${
          JSON.stringify(ck.right.settings[k as keyof TrainSettings])
        }, this run asks ${JSON.stringify(r.settings[k as keyof TrainSettings])}`,
        "resume with the same flags as the run you resume",
      ),
    );
  }
  return E.right(ck.right);
};

/** A metrics line's step; Infinity for a blank line or one cut short by a crash (SIGKILL mid-append). */
const stepOf = (line: string): number => {
  try {
    const step = (JSON.parse(line) as Partial<Metrics> | null)?.step;
    return typeof step === "number" ? step : Infinity;
  } catch {
    return Infinity;
  }
};

/** Remove temporary files a killed run left beside its checkpoint and model (adapters/fs/atomic_write.ts names them). */
export const removeStaleTemps = async (out: string): Promise<void> => {
  const names = await readdir(out).catch(() => [] as string[]);
  for (const n of names.filter((x) => x.startsWith(`${CHECKPOINT_FILE}.tmp-`) || x.startsWith(`${MODEL_DIR}.tmp-`))) {
    await rm(join(out, n), { recursive: true, force: true });
  }
};

/** Metrics lines up to and including `step` (a crash after the last checkpoint leaves later lines; they will be written again). */
export const trimMetrics = async (path: string, step: number): Promise<void> => {
  const text = await readFile(path, "utf8").catch(() => "");
  const keep = text.split("\n").filter((l) => stepOf(l) <= step);
  await writeFile(path, keep.map((l) => l + "\n").join(""));
};
