/**
 * `inheritune grow <reference> --data <corpus> --tokens-per-round N --out <dir>`: the paper's
 * procedure for choosing the depth (core/surgery/grow.ts): inherit the first ⌈L/2⌉ blocks, train, and while
 * the target's validation loss is above the reference's, inherit 2 more blocks and train again from
 * the reference's weights; each round's run sits in <out>/<strategy>-<n>; <out>/grow.json records them.
 * --strategy influence|rank keeps the n most influential / least lazy blocks instead of the first n.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { join } from "node:path";
import { writeBytesAtomic } from "../../adapters/fs/atomic_write.ts";
import { runTraining } from "../../adapters/train/loop.ts";
import type { AppError } from "../../core/errors.ts";
import { firstDepth, growDecision } from "../../core/surgery/grow.ts";
import { inheritWeights } from "../../core/surgery/plan.ts";
import { backendFlag, type CommandSpec, NonNegIntArg, PosIntArg } from "../args.ts";
import { BackendArg, evaluatorFactory, trainerFactory, withBackend } from "../../adapters/devices/backend.ts";
import { devicesOf, type Io } from "../io.ts";
import { interruptible, prepare, referenceLoss } from "../run_setup.ts";
import { selectBlocks } from "../select.ts";
import { settingsOf } from "./train.ts";

const GrowArgs = t.intersection([
  t.type({ reference: t.string, data: t.string, out: t.string, "tokens-per-round": PosIntArg }),
  t.partial({
    strategy: t.keyof({ first: null, influence: null, rank: null }, "first | influence | rank"),
    batch: PosIntArg,
    ctx: PosIntArg,
    seed: NonNegIntArg,
    "eval-tokens": NonNegIntArg,
    tokenizer: t.string,
    backend: BackendArg,
    json: t.boolean,
  }),
]);
type GrowArgs = t.TypeOf<typeof GrowArgs>;
const s = (help: string) => ({ type: "string", help }) as const;

export const growCommand: CommandSpec<GrowArgs> = {
  name: "grow",
  usage:
    "grow <reference> --data <corpus> --tokens-per-round N --out <dir> [--strategy first|influence|rank] [--batch B] [--ctx T] [--seed S] [--eval-tokens N] [--backend webgpu|cpu] [--json]",
  summary:
    "The paper's depth search: start at half the reference's blocks, add 2 while the target's validation loss is above the reference's.",
  positionals: ["reference"],
  flags: {
    data: s("corpus (as for train) (required)"),
    out: s("folder for the rounds (required)"),
    "tokens-per-round": s("training tokens in each round (required)"),
    strategy: s("which n blocks each round keeps: first (the paper), influence or rank (default first)"),
    batch: s("sequences per step (default 16)"),
    ctx: s("tokens per sequence (default 256)"),
    seed: s("data seed (default 0)"),
    "eval-tokens": s("validation tokens per evaluation, 0 = all (default 0)"),
    tokenizer: s("tokenizer file, when none sits beside the model"),
    backend: backendFlag,
    json: { type: "boolean", help: "one JSON object per round, then a summary" },
  },
  codec: GrowArgs,
};

interface Round {
  readonly blocks: number;
  readonly kept: ReadonlyArray<number>;
  readonly val_loss_initial: number;
  readonly val_loss: number;
  readonly tokens: number;
  readonly out: string;
}

export const runGrow = async (a: GrowArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const p = await prepare(a.reference, a.data, a.tokenizer);
  if (E.isLeft(p)) return p;
  const ref = p.right.model, L = ref.spec.nLayer;
  const settings = settingsOf({ ...a, tokens: a["tokens-per-round"], "eval-every": 0 }, ref.spec);
  if (E.isLeft(settings)) return settings;
  return withBackend(devicesOf(io), a.backend, (b) =>
    interruptible(async (signal) => {
      const makeTrainer = trainerFactory(b);
      const refLoss = await referenceLoss(evaluatorFactory(b), p.right, settings.right);
      if (E.isLeft(refLoss)) return refLoss;
      if (!a.json) io.out(`reference (${L} blocks): validation loss ${refLoss.right.toFixed(4)}\n`);
      const rounds: Round[] = [], cache = {};
      for (let n = firstDepth(L);;) {
        const chosen = await selectBlocks(
          ref,
          `${a.strategy ?? "first"}:${n}`,
          p.right.data.val,
          b._tag === "webgpu" ? b : undefined,
          cache,
        );
        if (E.isLeft(chosen)) return chosen;
        const plan = chosen.right.plan;
        const out = join(a.out, `${a.strategy ?? "first"}-${n}`);
        const r = await runTraining({
          spec: plan.target,
          weights: inheritWeights(plan, ref.weights),
          data: p.right.data,
          settings: settings.right,
          out,
          resume: false,
          makeTrainer,
          signal,
          export: { bos: p.right.tok.bos, eos: p.right.tok.eos, extraFiles: p.right.copies },
        })();
        if (E.isLeft(r)) return r;
        const round = {
          blocks: n,
          kept: plan.blocks,
          val_loss_initial: r.right.val_loss_initial,
          val_loss: r.right.val_loss,
          tokens: r.right.tokens,
          out,
        };
        rounds.push(round);
        const d = growDecision(L, n, r.right.val_loss, refLoss.right);
        io.out(
          a.json
            ? JSON.stringify({ round: rounds.length, ...round, reference_val_loss: refLoss.right, decision: d }) + "\n"
            : `round ${rounds.length}: first ${n} of ${L} blocks, validation loss ${
              round.val_loss_initial.toFixed(4)
            } → ${round.val_loss.toFixed(4)} (reference ${refLoss.right.toFixed(4)})` +
              (d._tag === "grow"
                ? `; above the reference: growing to ${d.next} blocks\n`
                : d.reason === "matched"
                ? "; at or below the reference: done\n"
                : `; still above the reference at the reference's full depth (${L} blocks): stopping\n`),
        );
        if (d._tag === "done") {
          const summary = {
            reference: a.reference,
            reference_val_loss: refLoss.right,
            rounds,
            chosen: n,
            matched: d.reason === "matched",
          };
          const w = await writeBytesAtomic(
            join(a.out, "grow.json"),
            "growth record",
            new TextEncoder().encode(JSON.stringify(summary, null, 2) + "\n"),
          )();
          if (E.isLeft(w)) return w;
          if (a.json) io.out(JSON.stringify(summary) + "\n");
          return E.right(undefined);
        }
        n = d.next;
      }
    }));
};
