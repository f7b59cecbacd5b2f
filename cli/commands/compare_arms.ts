/**
 * What the comparisons share: an arm's training and its result from the summary and saved curve, and
 * the close: the downstream tasks scored on the reference and each trained target (each loaded from
 * its model/), the report files and the closing line (or the JSON).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { BackendArg } from "../../adapters/devices/backend.ts";
import { NonNegIntArg, PosIntArg } from "../args.ts";
import { TaskArgs } from "./eval_tasks.ts";
import { readCurve } from "../../adapters/train/compare_files.ts";
import type { TrainSummary } from "../../adapters/train/loop.ts";
import type { ArmResult } from "../../core/report/compare_report.ts";
import type { Model } from "../../adapters/formats/models.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { type InheritancePlan, scratchPlan } from "../../core/surgery/plan.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { selectBlocks } from "../select.ts";
import type { Downstream } from "../../adapters/train/compare_files.ts";
import type { TaskSource } from "../../adapters/eval/bundled.ts";
import { DEFAULT_TASK_ROWS, evaluateTasks } from "../../adapters/eval/evaluate.ts";
import { scorerFactory } from "../../adapters/eval/scorer.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import type { ModelResults } from "../../core/eval/report.ts";
import { type Backend, trainerFactory } from "../../adapters/devices/backend.ts";
import { join } from "node:path";
import { runTraining, type TrainData, type TrainSettings } from "../../adapters/train/loop.ts";
import { writeReport } from "../../adapters/train/compare_files.ts";
import type { CompareReport } from "../../core/report/compare_report.ts";
import { targetWeights } from "../../core/model/init.ts";
import type { Io } from "../io.ts";
import type { Prepared } from "../run_setup.ts";

/** The flags of `compare` (cli/commands/compare.ts, compare_subsets.ts). */
export const CompareArgs = t.intersection([
  t.type({ reference: t.string, data: t.string, out: t.string }),
  TaskArgs,
  t.partial({
    layers: t.string,
    strategies: t.string,
    subsets: t.string,
    "subset-tokens": PosIntArg,
    tokens: PosIntArg,
    batch: PosIntArg,
    ctx: PosIntArg,
    seed: NonNegIntArg,
    "eval-every": NonNegIntArg,
    "eval-tokens": NonNegIntArg,
    tokenizer: t.string,
    backend: BackendArg,
    checkpoint: t.boolean,
    json: t.boolean,
  }),
]);
export type CompareArgs = t.TypeOf<typeof CompareArgs>;

export interface Arm {
  readonly name: string;
  readonly folder: string;
  readonly plan: InheritancePlan;
  readonly reason: string;
}

export const armResult = async (arm: Arm, r: TrainSummary): Promise<E.Either<AppError, ArmResult>> =>
  E.map((curve: ReadonlyArray<readonly [number, number]>) => ({
    name: arm.name,
    reason: arm.reason,
    blocks: arm.plan.entries.some((e) => e.fate._tag === "init") ? null : arm.plan.blocks,
    valLossInitial: r.val_loss_initial,
    valLoss: r.val_loss,
    trainLoss: r.train_loss,
    tokens: r.tokens,
    tokensPerS: r.tokens_per_s,
    curve,
    out: r.out,
  }))(await readCurve(r.out));

/** The reference's and each trained target's results on the tasks (each target loaded from its saved model/). */
export const downstreamOf = async (
  b: Backend,
  tasks: ReadonlyArray<TaskSource>,
  reference: Model,
  tok: Tokenizer,
  arms: ReadonlyArray<{ readonly name: string; readonly model: string }>,
  limit: number | undefined,
  now: () => number,
): Promise<E.Either<AppError, Downstream>> => {
  const models: ModelResults[] = [];
  for (
    const [name, m] of [
      ["reference", E.right(reference)] as const,
      ...await Promise.all(
        arms.map(async (a) => [a.name, await loadModel(a.model)()] as const),
      ),
    ]
  ) {
    if (E.isLeft(m)) return m;
    const runs = await evaluateTasks(scorerFactory(b), m.right, tok, tasks, {
      rows: DEFAULT_TASK_ROWS,
      ...(limit !== undefined ? { limit } : {}),
      now,
    });
    if (E.isLeft(runs)) return runs;
    models.push({ name, results: Object.fromEntries(Object.entries(runs.right).map(([k, r]) => [k, r.metrics])) });
  }
  const chance = Object.fromEntries(tasks.flatMap((t) => (t.chance === undefined ? [] : [[t.name, t.chance]])));
  return E.right({ models, chance });
};

/** An arm per strategy, in the order given; "scratch" has the first inherited arm's shape. */
export const armsFor = async (
  m: Model,
  wanted: ReadonlyArray<string>,
  val: TokenArray,
): Promise<E.Either<AppError, Arm[]>> => {
  const arms: Arm[] = [], cache = {};
  for (const w of wanted.filter((x) => x !== "scratch")) {
    const c = await selectBlocks(m, w, val, undefined, cache);
    if (E.isLeft(c)) return c;
    if (arms.length > 0 && c.right.plan.target.nLayer !== arms[0]!.plan.target.nLayer) {
      return E.left(
        appError(
          "BadArgs",
          `Cannot compare ${arms[0]!.name} with ${c.right.name}: they keep ${
            arms[0]!.plan.target.nLayer
          } and ${c.right.plan.target.nLayer} blocks`,
          "compare selections of the same depth",
        ),
      );
    }
    arms.push({
      name: c.right.name,
      folder: c.right.name.replace(/[^\w.-]+/g, "_"),
      plan: c.right.plan,
      reason: c.right.reason,
    });
  }
  if (arms.length === 0) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot compare scratch alone: it takes its shape from an inherited target",
        "add a selection, e.g. --strategies first:3,scratch",
      ),
    );
  }
  if (wanted.includes("scratch")) {
    arms.push({
      name: "scratch",
      folder: "scratch",
      plan: scratchPlan(arms[0]!.plan),
      reason: "the same shape, randomly initialised (GPT-2 init)",
    });
  }
  return E.right(arms);
};

/** What every arm of one comparison shares: the backend, the stop signal, the flags, the reference, the settings. */
export interface ArmContext {
  readonly b: Backend;
  readonly signal: AbortSignal;
  readonly a: CompareArgs;
  readonly p: Prepared;
  readonly settings: TrainSettings;
}

/** The arm's target inherited from the reference (seeded), trained on `data` into <out>/<folder>, then its result. */
export const trainArm = async (
  cx: ArmContext,
  arm: Arm,
  data: TrainData,
): Promise<E.Either<AppError, { readonly result: ArmResult; readonly summary: TrainSummary }>> => {
  const { a, p } = cx;
  const r = await runTraining({
    spec: arm.plan.target,
    weights: targetWeights(arm.plan, p.model.weights, a.seed ?? 0),
    data,
    settings: cx.settings,
    out: join(a.out, arm.folder),
    resume: false,
    makeTrainer: trainerFactory(cx.b),
    signal: cx.signal,
    export: { bos: p.tok.bos, eos: p.tok.eos, extraFiles: p.copies },
  })();
  if (E.isLeft(r)) return r;
  return E.map((result: ArmResult) => ({ result, summary: r.right }))(await armResult(arm, r.right));
};

/**
 * The close of a comparison: the tasks (when asked) on the reference and each saved target, report.md /
 * report.json / curves.svg (and tasks.svg), then the line naming them, or with --json the report with the
 * downstream results by model.
 */
export const finishCompare = async (
  cx: ArmContext,
  io: Io,
  tasks: ReadonlyArray<TaskSource>,
  saved: ReadonlyArray<{ readonly name: string; readonly model: string }>,
  report: CompareReport,
): Promise<E.Either<AppError, void>> => {
  const { a, p } = cx;
  const downstream = tasks.length === 0
    ? undefined
    : await downstreamOf(cx.b, tasks, p.model, p.tok, saved, a.limit, io.now);
  if (downstream !== undefined && E.isLeft(downstream)) return downstream;
  const w = await writeReport(a.out, report, downstream?.right);
  if (E.isLeft(w)) return w;
  const byModel = downstream === undefined
    ? {}
    : { downstream: Object.fromEntries(downstream.right.models.map((m) => [m.name, m.results])) };
  io.out(
    a.json
      ? JSON.stringify({ ...report, ...byModel }) + "\n"
      : `report: ${join(a.out, "report.md")}, chart: ${join(a.out, "curves.svg")}${
        downstream === undefined ? "" : `, tasks: ${join(a.out, "tasks.svg")}`
      }\n`,
  );
  return E.right(undefined);
};
