/**
 * `inheritune compare <reference> --subsets random,ppl-low,ppl-mid --layers n --data <corpus>
 * --subset-tokens N --tokens M --out <dir>`: which 0.1% to train on (the paper leaves the small
 * subset's quality open). The corpus is tokenized once into <out>/pool (each document's start and
 * text hash kept), every training document is scored once by the reference on the backend, and each
 * strategy (core/select/select_docs.ts) picks exactly N tokens of whole documents; the same inherited
 * target (the first --layers blocks) then trains on each subset with the same M tokens, seed and
 * schedule, and is scored on the same held-out split. report.md / report.json / curves.svg as
 * `compare` writes them, plus the subsets' table (documents, mean reference loss, band); each
 * subset's selection record in <out>/<arm>/subset.json.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { join } from "node:path";
import { chooseSubset } from "../../adapters/data/choose_subset.ts";
import { listCorpus } from "../../adapters/data/corpus.ts";
import { docIndex } from "../../adapters/data/doc_index.ts";
import { tokenizeCorpus } from "../../adapters/data/token_store.ts";
import { readRanges } from "../../adapters/data/training_data.ts";
import { evaluatorFactory, withBackend } from "../../adapters/devices/backend.ts";
import { writeBytesAtomic } from "../../adapters/fs/atomic_write.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { ArmResult, CompareReport, SubsetSummary } from "../../core/report/compare_report.ts";
import { decodeSelect, selectName, type SelectSpec } from "../../core/select/select_spec.ts";
import { devicesOf, type Io } from "../io.ts";
import { interruptible, prepare, referenceLoss } from "../run_setup.ts";
import { scorePool } from "../subsets.ts";
import { type ArmContext, armsFor, type CompareArgs, finishCompare, trainArm } from "./compare_arms.ts";
import { taskSources, wantsTasks } from "./eval_tasks.ts";
import { settingsOf } from "./train.ts";

const specsOf = (list: string): E.Either<AppError, SelectSpec[]> => {
  const out: SelectSpec[] = [];
  for (const s of list.split(",").map((x) => x.trim()).filter((x) => x !== "")) { // dedup+ppl-low combines
    const d = decodeSelect(s);
    if (E.isLeft(d)) return d;
    out.push(d.right);
  }
  return E.right(out);
};

const badArgs = (why: string, hint: string) =>
  E.left(appError("BadArgs", `Cannot run compare --subsets: ${why}`, hint));

export const runCompareSubsets = async (
  a: CompareArgs & { subsets: string },
  io: Io,
): Promise<E.Either<AppError, void>> => {
  if (a.strategies !== undefined) {
    return badArgs("--strategies compares blocks, --subsets data", "give one of them, with --layers n");
  }
  const specs = specsOf(a.subsets);
  if (E.isLeft(specs)) return specs;
  if (specs.right.length === 0) return badArgs("no subset named", "e.g. --subsets random,ppl-low,ppl-mid");
  const p = await prepare(a.reference, a.data, a.tokenizer, a.checkpoint); // the held-out split, as tokenize cuts it
  if (E.isLeft(p)) return p;
  const tasks = wantsTasks(a) ? taskSources(a, io) : E.right([]);
  if (E.isLeft(tasks)) return tasks;
  const arms = await armsFor(p.right.model, [a.layers ?? "3"], p.right.data.val);
  if (E.isLeft(arms)) return arms;
  const arm = arms.right[0]!, settings = settingsOf({ ...a }, arm.plan.target);
  if (E.isLeft(settings)) return settings;
  const corpus = await listCorpus(a.data);
  if (E.isLeft(corpus)) return corpus;
  const pool = join(a.out, "pool"), index = docIndex();
  const made = await tokenizeCorpus(corpus.right, p.right.tok, pool, {
    field: "text",
    split: "paragraph",
    boundary: "bos",
    valFraction: 0.1,
    shardTokens: 16 << 20,
    tokenizerSource: a.tokenizer ?? a.reference,
    docIndex: index,
  })();
  if (E.isLeft(made)) return made;
  const m = made.right, table = index.table(m.split.train[1], m.total_tokens);
  const budget = a["subset-tokens"] ?? Math.round(m.split.train[1] / 10);
  const val = await readRanges(pool, m, [m.split.val]); // the held-out split every arm and the reference are scored on
  if (E.isLeft(val)) return val;
  const scores = await scorePool(io, a.backend, p.right.model, pool, m, table);
  if (E.isLeft(scores)) return scores;
  const prepared = { ...p.right, data: { train: p.right.data.train, val: val.right } };
  const subsets: Record<string, SubsetSummary> = {};
  return withBackend(devicesOf(io), a.backend, (b) =>
    interruptible(async (signal) => {
      const cx: ArmContext = { b, signal, a, p: prepared, settings: settings.right };
      const ref = await referenceLoss(evaluatorFactory(b), prepared, settings.right);
      if (E.isLeft(ref)) return ref;
      if (!a.json) io.out(`reference (${p.right.model.spec.nLayer} blocks): validation loss ${ref.right.toFixed(4)}\n`);
      const results: ArmResult[] = [], saved: Array<{ name: string; model: string }> = [];
      for (const spec of specs.right) {
        const name = selectName(spec), folder = `subset_${name.replace(/[^\w.-]+/g, "_")}`;
        const subset = chooseSubset(table, scores.right, {
          ...spec,
          budget,
          seed: a.seed ?? 0,
          reference: a.reference,
          scoredTokens: p.right.model.spec.blockSize,
        });
        const train = await readRanges(pool, m, subset.ranges);
        if (E.isLeft(train)) return train;
        const sel = subset.selection!;
        const tokens = train.right.length.toLocaleString("en-US");
        const reason = `${arm.name} trained on ${sel.documents} documents (${tokens} tokens) chosen by ${name}`;
        const r = await trainArm(cx, { ...arm, name, folder, reason }, { train: train.right, val: val.right });
        if (E.isLeft(r)) return r;
        const w = await writeBytesAtomic(
          join(a.out, folder, "subset.json"),
          "subset record",
          new TextEncoder().encode(JSON.stringify(subset, null, 1) + "\n"),
        )();
        if (E.isLeft(w)) return w;
        const sum = r.right.summary;
        results.push(r.right.result), saved.push({ name, model: sum.model });
        subsets[name] = sel;
        if (!a.json) {
          io.out(
            `${name}: ${sel.documents} documents, mean reference loss ${sel.mean_nll?.toFixed(4)}; validation loss ${
              sum.val_loss_initial.toFixed(4)
            } → ${sum.val_loss.toFixed(4)}\n`,
          );
        }
      }
      const report: CompareReport = {
        reference: { source: a.reference, nLayer: p.right.model.spec.nLayer, valLoss: ref.right },
        arms: results,
        settings: {
          layers: arm.name,
          tokens: results[0]!.tokens,
          "subset tokens": budget,
          "pool tokens": m.split.train[1],
          batch: settings.right.batch,
          ctx: settings.right.ctx,
          lr: settings.right.lr,
          seed: settings.right.seed,
          backend: b._tag,
        },
        subsets,
      };
      return finishCompare(cx, io, tasks.right, saved, report);
    }));
};
