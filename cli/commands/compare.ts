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
import type { ArmResult, CompareReport } from "../../core/report/compare_report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { backendFlag, checkpointFlag, type CommandSpec } from "../args.ts";
import { evaluatorFactory, withBackend } from "../../adapters/devices/backend.ts";
import { devicesOf, type Io } from "../io.ts";
import { interruptible, prepare, referenceLoss } from "../run_setup.ts";
import { type ArmContext, armsFor, CompareArgs, finishCompare, trainArm } from "./compare_arms.ts";
import { runCompareSubsets } from "./compare_subsets.ts";
import { settingsOf } from "./train.ts";
import { taskFlags, taskSources, wantsTasks } from "./eval_tasks.ts";

const s = (help: string) => ({ type: "string", help }) as const;

export const compareCommand: CommandSpec<CompareArgs> = {
  name: "compare",
  usage:
    "compare <reference> (--layers <strategy> | --strategies s1,s2,…,scratch | --layers n --subsets random,ppl-low,… [--subset-tokens N]) --data <corpus> --out <dir> [--tokens N] [--batch B] [--ctx T] [--seed S] [--eval-every N] [--eval-tokens N] [--tasks t1,t2,… [--limit N]] [--backend webgpu|cpu] [--json]",
  summary:
    "Train inherited targets (one per strategy) and a same-shape target from scratch on the same tokens; report them against the reference.",
  positionals: ["reference"],
  flags: {
    layers: s("the blocks to inherit: n | first:n | every:k | influence:n | rank:n | i,j,k; compared with scratch"),
    subsets: s(
      "compare training subsets instead of blocks: random,ppl-low,ppl-mid,ppl-high,dedup (dedup+ppl-low for both); one --layers target",
    ),
    "subset-tokens": s("--subsets: tokens of each subset (default: 10% of the training split)"),
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

export const runCompare = async (a: CompareArgs, io: Io): Promise<E.Either<AppError, void>> => {
  if (a.subsets !== undefined) return runCompareSubsets({ ...a, subsets: a.subsets }, io);
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
      const cx: ArmContext = { b, signal, a, p: p.right, settings: settings.right };
      const ref = await referenceLoss(evaluatorFactory(b), p.right, settings.right);
      if (E.isLeft(ref)) return ref;
      if (!a.json) io.out(`reference (${p.right.model.spec.nLayer} blocks): validation loss ${ref.right.toFixed(4)}\n`);
      const results: ArmResult[] = [], saved: Array<{ name: string; model: string }> = [];
      for (const arm of arms.right) {
        const r = await trainArm(cx, arm, p.right.data);
        if (E.isLeft(r)) return r;
        const sum = r.right.summary;
        results.push(r.right.result);
        saved.push({ name: arm.name, model: sum.model });
        if (!a.json) {
          io.out(
            `${arm.name}: validation loss ${sum.val_loss_initial.toFixed(4)} → ${sum.val_loss.toFixed(4)} (${
              sum.tokens.toLocaleString("en-US")
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
      return finishCompare(cx, io, tasks.right, saved, report);
    }));
};
