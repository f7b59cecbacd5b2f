/**
 * `eval --tasks`: a model scored on each task in turn on one scorer (built once, destroyed after),
 * the time each task took, and with a samples folder one `samples_<task>.jsonl` per task, a line per
 * document in file order:
 *   {"doc": index, "loglikelihoods": [one per request], "is_greedy": [same order], "pred": index, "gold": index}
 * Each samples file is written atomically; one that cannot be written stops the run with its error.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AppError } from "../../core/errors.ts";
import type { TaskMetrics } from "../../core/eval/metrics.ts";
import { metricsOf } from "../../core/eval/requests.ts";
import { scoreTask, type TaskScores } from "../../core/eval/score_task.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { ioFailure, writeBytesAtomic } from "../fs/atomic_write.ts";
import { loadTask, type TaskSource } from "./bundled.ts";
import type { ScorerFactory } from "./scorer.ts";
import { PASS_TOKENS } from "../../gpu/eval/packed_forward.ts";

export interface EvalTasksOptions {
  readonly rows: number; // rows per batch of forward passes (core/eval/pack.ts)
  readonly limit?: number; // the first N documents of each task
  readonly samplesDir?: string;
  readonly now: () => number; // ms
  readonly onTask?: (name: string, r: TaskRun) => void;
}

export interface TaskRun {
  readonly metrics: TaskMetrics;
  readonly seconds: number;
}

/** Positions read per batch: as many as 128 MiB of f32 logits hold, at least one full context (passes run one by one). */
export const tokensPerPass = (s: ModelSpec): number => Math.max(s.blockSize, Math.floor(2 ** 27 / (4 * s.vocabSize)));

/**
 * Rows per batch when `--batch` is not given: enough that a batch is bounded by its positions (one packed pass
 * of PASS_TOKENS, gpu/eval/packed_forward.ts, some 14 multiple-choice documents) rather than by its rows.
 */
export const DEFAULT_TASK_ROWS = 1024;

/** Positions per batch: one packed pass on the device (fewer for a model whose logits fill a binding sooner). */
export const tokensPerBatch = (s: ModelSpec): number => Math.min(tokensPerPass(s), Math.max(s.blockSize, PASS_TOKENS));

export const samplesText = (r: TaskScores): string =>
  r.docs.map((d, i) =>
    JSON.stringify({ doc: i, loglikelihoods: d.loglikelihoods, is_greedy: d.isGreedy, pred: d.pred, gold: d.gold })
  ).join("\n") + "\n";

const writeSamples = async (dir: string, task: string, r: TaskScores): Promise<E.Either<AppError, void>> => {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    return E.left(ioFailure("samples folder", dir, e));
  }
  return writeBytesAtomic(
    join(dir, `samples_${task}.jsonl`),
    "samples log",
    new TextEncoder().encode(samplesText(r)),
  )();
};

export const evaluateTasks = async (
  makeScorer: ScorerFactory,
  model: { readonly spec: ModelSpec; readonly weights: Weights },
  tok: Tokenizer,
  tasks: ReadonlyArray<TaskSource>,
  o: EvalTasksOptions,
): Promise<E.Either<AppError, Record<string, TaskRun>>> => {
  const scorer = await makeScorer(model.spec, model.weights)();
  if (E.isLeft(scorer)) return scorer;
  const out: Record<string, TaskRun> = {};
  try {
    for (const task of tasks) {
      const docs = await loadTask(task, o.limit);
      if (E.isLeft(docs)) return docs;
      const t0 = o.now();
      const r = await scoreTask(scorer.right, metricsOf(task.type), docs.right, {
        encode: (s) => tok.encode(s, { bos: false, eos: false }),
        bos: tok.bos,
        addsBos: tok.addsBos,
        rows: o.rows,
        maxTokens: tokensPerBatch(model.spec),
      });
      if (E.isLeft(r)) return r;
      const run = { metrics: r.right.metrics, seconds: (o.now() - t0) / 1000 };
      if (o.samplesDir !== undefined) {
        const w = await writeSamples(o.samplesDir, task.name, r.right);
        if (E.isLeft(w)) return w;
      }
      out[task.name] = run;
      o.onTask?.(task.name, run);
    }
    return E.right(out);
  } finally {
    scorer.right.destroy();
  }
};
