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
import { readCurve, writeReport } from "../../adapters/compare_files.ts";
import { runTraining, type TrainSummary } from "../../adapters/training.ts";
import type { ArmResult, CompareReport } from "../../core/compare_report.ts";
import type { AppError } from "../../core/errors.ts";
import { targetWeights } from "../../core/init.ts";
import { type InheritancePlan, parseSelection, planInheritance, scratchPlan } from "../../core/plan.ts";
import { type CommandSpec, NonNegIntArg, PosIntArg } from "../args.ts";
import { BackendArg, backendFlag, withBackend } from "../backend.ts";
import type { Io } from "../io.ts";
import { interruptible, prepare, referenceLoss, trainerFactory } from "../run_setup.ts";
import { settingsOf } from "./train.ts";

const CompareArgs = t.intersection([
  t.type({ reference: t.string, layers: t.string, data: t.string, out: t.string }),
  t.partial({ tokens: PosIntArg, batch: PosIntArg, ctx: PosIntArg, seed: NonNegIntArg, "eval-every": NonNegIntArg, "eval-tokens": NonNegIntArg, tokenizer: t.string, backend: BackendArg, json: t.boolean }),
]);
type CompareArgs = t.TypeOf<typeof CompareArgs>;
const s = (help: string) => ({ type: "string", help }) as const;

export const compareCommand: CommandSpec<CompareArgs> = {
  name: "compare",
  usage: "compare <reference> --layers <n | i,j,k> --data <corpus> --out <dir> [--tokens N] [--batch B] [--ctx T] [--seed S] [--eval-every N] [--eval-tokens N] [--backend webgpu|cpu] [--json]",
  summary: "Train the inherited target and a same-shape target from scratch on the same tokens; report them against the reference.",
  positionals: ["reference"],
  flags: {
    layers: s("the blocks to inherit: a count n (the first n) or a list i,j,k (required)"),
    data: s("corpus (as for train) (required)"), out: s("folder for the report and the runs (required)"),
    tokens: s("training tokens per target (default 200k)"), batch: s("sequences per step (default 16)"), ctx: s("tokens per sequence (default 256)"),
    seed: s("data and initialisation seed (default 0)"), "eval-every": s("evaluate every N steps (default: 10 times a run)"),
    "eval-tokens": s("validation tokens per evaluation, 0 = all (default 0)"), tokenizer: s("tokenizer file, when none sits beside the model"),
    backend: backendFlag, json: { type: "boolean", help: "print report.json's content on stdout" },
  },
  codec: CompareArgs,
};

interface Arm {
  readonly name: string;
  readonly folder: string;
  readonly plan: InheritancePlan;
}

const armResult = async (arm: Arm, r: TrainSummary): Promise<E.Either<AppError, ArmResult>> =>
  E.map((curve: ReadonlyArray<readonly [number, number]>) => ({
    name: arm.name, blocks: arm.plan.entries.some((e) => e.fate._tag === "init") ? null : arm.plan.blocks,
    valLossInitial: r.val_loss_initial, valLoss: r.val_loss, trainLoss: r.train_loss, tokens: r.tokens, tokensPerS: r.tokens_per_s, curve, out: r.out,
  }))(await readCurve(r.out));

export const runCompare = async (a: CompareArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const p = await prepare(a.reference, a.data, a.tokenizer);
  if (E.isLeft(p)) return p;
  const sel = E.chain((x: Parameters<typeof planInheritance>[1]) => planInheritance(p.right.model.spec, x))(parseSelection(a.layers));
  if (E.isLeft(sel)) return sel;
  const arms: Arm[] = [
    { name: `inherited ${a.layers}`, folder: "inherited", plan: sel.right },
    { name: "scratch", folder: "scratch", plan: scratchPlan(sel.right) },
  ];
  const settings = settingsOf({ ...a, layers: a.layers }, sel.right.target);
  if (E.isLeft(settings)) return settings;
  return withBackend(io, a.backend, (b) => interruptible(async (signal) => {
    const makeTrainer = trainerFactory(b);
    const ref = await referenceLoss(makeTrainer, p.right, settings.right);
    if (E.isLeft(ref)) return ref;
    if (!a.json) io.out(`reference (${p.right.model.spec.nLayer} blocks): validation loss ${ref.right.toFixed(4)}\n`);
    const results: ArmResult[] = [];
    for (const arm of arms) {
      const r = await runTraining({
        spec: arm.plan.target, weights: targetWeights(arm.plan, p.right.model.weights, a.seed ?? 0), data: p.right.data, settings: settings.right,
        out: join(a.out, arm.folder), resume: false, makeTrainer, signal, export: { bos: p.right.tok.bos, eos: p.right.tok.eos, extraFiles: p.right.copies },
      })();
      if (E.isLeft(r)) return r;
      const res = await armResult(arm, r.right);
      if (E.isLeft(res)) return res;
      results.push(res.right);
      if (!a.json) io.out(`${arm.name}: validation loss ${r.right.val_loss_initial.toFixed(4)} → ${r.right.val_loss.toFixed(4)} (${r.right.tokens.toLocaleString("en-US")} tokens)\n`);
    }
    const report: CompareReport = {
      reference: { source: a.reference, nLayer: p.right.model.spec.nLayer, valLoss: ref.right }, arms: results,
      settings: { tokens: results[0]!.tokens, batch: settings.right.batch, ctx: settings.right.ctx, lr: settings.right.lr, seed: settings.right.seed, backend: b._tag },
    };
    const w = await writeReport(a.out, report);
    if (E.isLeft(w)) return w;
    io.out(a.json ? JSON.stringify(report) + "\n" : `report: ${join(a.out, "report.md")}, chart: ${join(a.out, "curves.svg")}\n`);
    return E.right(undefined);
  }));
};
