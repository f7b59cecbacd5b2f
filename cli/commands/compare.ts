/**
 * `inheritune compare <reference> --layers <spec> --data <corpus> --tokens N --out <dir>`: the
 * paper's experiment in one command. The inherited target and a same-shape target from random
 * initialisation train on the same tokens, seed and schedule; the reference is evaluated on the
 * same held-out windows; <out>/report.json, report.md (a table like the paper's) and curves.svg
 * (validation loss against tokens, the reference as a horizontal line) are written, and each
 * target's run (metrics.jsonl, checkpoint, model/) sits in its own folder under <out>.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { join } from "node:path";
import { readCurve, writeReport } from "../../adapters/train/compare_files.ts";
import { runTraining, type TrainSummary } from "../../adapters/train/loop.ts";
import type { ArmResult, CompareReport } from "../../core/report/compare_report.ts";
import type { Model } from "../../adapters/formats/models.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { targetWeights } from "../../core/model/init.ts";
import { type InheritancePlan, scratchPlan } from "../../core/surgery/plan.ts";
import { backendFlag, checkpointFlag, type CommandSpec, NonNegIntArg, PosIntArg } from "../args.ts";
import { BackendArg, evaluatorFactory, trainerFactory, withBackend } from "../../adapters/devices/backend.ts";
import { devicesOf, type Io } from "../io.ts";
import { interruptible, prepare, referenceLoss } from "../run_setup.ts";
import { selectBlocks } from "../select.ts";
import { settingsOf } from "./train.ts";
import { type Downstream } from "../../adapters/train/compare_files.ts";
import { type TaskSource } from "../../adapters/eval/bundled.ts";
import { evaluateTasks } from "../../adapters/eval/evaluate.ts";
import { scorerFactory } from "../../adapters/eval/scorer.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import type { ModelResults } from "../../core/eval/report.ts";
import type { Backend } from "../../adapters/devices/backend.ts";
import { TaskArgs, taskFlags, taskSources, wantsTasks } from "./eval_tasks.ts";

const CompareArgs = t.intersection([
  t.type({ reference: t.string, data: t.string, out: t.string }),
  TaskArgs,
  t.partial({
    layers: t.string,
    strategies: t.string,
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
type CompareArgs = t.TypeOf<typeof CompareArgs>;
const s = (help: string) => ({ type: "string", help }) as const;

export const compareCommand: CommandSpec<CompareArgs> = {
  name: "compare",
  usage:
    "compare <reference> (--layers <strategy> | --strategies s1,s2,…,scratch) --data <corpus> --out <dir> [--tokens N] [--batch B] [--ctx T] [--seed S] [--eval-every N] [--eval-tokens N] [--tasks t1,t2,… [--limit N]] [--backend webgpu|cpu] [--json]",
  summary:
    "Train inherited targets (one per strategy) and a same-shape target from scratch on the same tokens; report them against the reference.",
  positionals: ["reference"],
  flags: {
    layers: s("the blocks to inherit: n | first:n | every:k | influence:n | rank:n | i,j,k; compared with scratch"),
    strategies: s(
      "several selections, comma-separated, e.g. first:3,influence:3,every:2,scratch (a list inside: 0+2+4)",
    ),
    data: s("corpus (as for train) (required)"),
    out: s("folder for the report and the runs (required)"),
    tokens: s("training tokens per target (default 200k)"),
    batch: s("sequences per step (default 16)"),
    ctx: s("tokens per sequence (default 256)"),
    seed: s("data and initialisation seed (default 0)"),
    "eval-every": s("evaluate every N steps (default: 10 times a run)"),
    "eval-tokens": s("validation tokens per evaluation, 0 = all (default 0)"),
    tokenizer: s("tokenizer file, when none sits beside the model"),
    tasks: { ...taskFlags.tasks, help: `${taskFlags.tasks.help}: the reference and every target, after training` },
    "task-file": taskFlags["task-file"],
    "task-type": taskFlags["task-type"],
    limit: taskFlags.limit,
    backend: backendFlag,
    checkpoint: checkpointFlag,
    json: { type: "boolean", help: "print report.json's content on stdout" },
  },
  codec: CompareArgs,
};

interface Arm {
  readonly name: string;
  readonly folder: string;
  readonly plan: InheritancePlan;
  readonly reason: string;
}

/** An arm per strategy, in the order given; "scratch" has the first inherited arm's shape. */
const armsFor = async (
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

const armResult = async (arm: Arm, r: TrainSummary): Promise<E.Either<AppError, ArmResult>> =>
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
const downstreamOf = async (
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
      rows: 32,
      ...(limit !== undefined ? { limit } : {}),
      now,
    });
    if (E.isLeft(runs)) return runs;
    models.push({ name, results: Object.fromEntries(Object.entries(runs.right).map(([k, r]) => [k, r.metrics])) });
  }
  const chance = Object.fromEntries(tasks.flatMap((t) => (t.chance === undefined ? [] : [[t.name, t.chance]])));
  return E.right({ models, chance });
};

export const runCompare = async (a: CompareArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const p = await prepare(a.reference, a.data, a.tokenizer, a.checkpoint);
  if (E.isLeft(p)) return p;
  const wanted = a.strategies !== undefined
    ? a.strategies.split(",").map((x) => x.trim())
    : a.layers !== undefined
    ? [a.layers, "scratch"]
    : [];
  if (wanted.length === 0 || (a.strategies !== undefined && a.layers !== undefined)) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot run compare: give the blocks with exactly one of --layers and --strategies",
        "e.g. --layers 3, or --strategies first:3,influence:3,scratch",
      ),
    );
  }
  const tasks = wantsTasks(a) ? taskSources(a, io) : E.right([]);
  if (E.isLeft(tasks)) return tasks;
  const arms = await armsFor(p.right.model, wanted, p.right.data.val);
  if (E.isLeft(arms)) return arms;
  const shape = arms.right[0]!.plan.target;
  const settings = settingsOf({ ...a }, shape);
  if (E.isLeft(settings)) return settings;
  return withBackend(devicesOf(io), a.backend, (b) =>
    interruptible(async (signal) => {
      const makeTrainer = trainerFactory(b);
      const ref = await referenceLoss(evaluatorFactory(b), p.right, settings.right);
      if (E.isLeft(ref)) return ref;
      if (!a.json) io.out(`reference (${p.right.model.spec.nLayer} blocks): validation loss ${ref.right.toFixed(4)}\n`);
      const results: ArmResult[] = [], saved: Array<{ name: string; model: string }> = [];
      for (const arm of arms.right) {
        const r = await runTraining({
          spec: arm.plan.target,
          weights: targetWeights(arm.plan, p.right.model.weights, a.seed ?? 0),
          data: p.right.data,
          settings: settings.right,
          out: join(a.out, arm.folder),
          resume: false,
          makeTrainer,
          signal,
          export: { bos: p.right.tok.bos, eos: p.right.tok.eos, extraFiles: p.right.copies },
        })();
        if (E.isLeft(r)) return r;
        const res = await armResult(arm, r.right);
        if (E.isLeft(res)) return res;
        results.push(res.right);
        saved.push({ name: arm.name, model: r.right.model });
        if (!a.json) {
          io.out(
            `${arm.name}: validation loss ${r.right.val_loss_initial.toFixed(4)} → ${r.right.val_loss.toFixed(4)} (${
              r.right.tokens.toLocaleString("en-US")
            } tokens)\n`,
          );
        }
      }
      const report: CompareReport = {
        reference: { source: a.reference, nLayer: p.right.model.spec.nLayer, valLoss: ref.right },
        arms: results,
        settings: {
          tokens: results[0]!.tokens,
          batch: settings.right.batch,
          ctx: settings.right.ctx,
          lr: settings.right.lr,
          seed: settings.right.seed,
          backend: b._tag,
        },
      };
      const downstream = tasks.right.length === 0
        ? undefined
        : await downstreamOf(b, tasks.right, p.right.model, p.right.tok, saved, a.limit, io.now);
      if (downstream !== undefined && E.isLeft(downstream)) return downstream;
      const w = await writeReport(a.out, report, downstream?.right);
      if (E.isLeft(w)) return w;
      io.out(
        a.json
          ? JSON.stringify(
            downstream === undefined
              ? report
              : { ...report, downstream: Object.fromEntries(downstream.right.models.map((m) => [m.name, m.results])) },
          ) + "\n"
          : `report: ${join(a.out, "report.md")}, chart: ${join(a.out, "curves.svg")}${
            downstream === undefined ? "" : `, tasks: ${join(a.out, "tasks.svg")}`
          }\n`,
      );
      return E.right(undefined);
    }));
};
