/**
 * `inheritune train <model> --data <corpus> --out <dir>`: train a model (or, with --layers, the
 * target inherited on the fly from it: core/plan.ts) on a corpus with the loop of
 * adapters/training.ts, on the GPU or the CPU reference. Defaults are PAPER.md's "In miniature":
 * batch 16 × 256, AdamW (0.9, 0.95), weight decay 0.1, clip 1.0, peak lr 3e-3 with 10% warm-up and
 * cosine to 10% of the peak, a 200k-token budget. SIGINT saves a checkpoint; --resume continues.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import process from "node:process";
import { basename } from "node:path";
import { readBytes } from "../../adapters/files.ts";
import { loadModel, loadTokenizer, type Model } from "../../adapters/models.ts";
import { findTokenizerFiles } from "../../adapters/tokenizers.ts";
import { loadTrainingData } from "../../adapters/training_data.ts";
import { type Metrics, runTraining, type TrainerFactory, type TrainSettings, type TrainSummary } from "../../adapters/training.ts";
import { createCpuTrainer } from "../../core/cpu_trainer.ts";
import { appError, type AppError } from "../../core/errors.ts";
import { inheritWeights, parseSelection, planInheritance } from "../../core/plan.ts";
import { defaultSchedule } from "../../core/schedule.ts";
import type { ModelSpec } from "../../core/spec.ts";
import type { Weights } from "../../core/tensors.ts";
import { createGpuTrainer } from "../../gpu/trainer.ts";
import { type CommandSpec, NonNegIntArg, NumberArg, PosIntArg } from "../args.ts";
import { type Backend, BackendArg, backendFlag, withBackend } from "../backend.ts";
import type { Io } from "../io.ts";

const NonNeg = t.refinement(NumberArg, (x) => x >= 0, "number ≥ 0");
const Positive = t.refinement(NumberArg, (x) => x > 0, "number > 0");
const TrainArgs = t.intersection([
  t.type({ model: t.string, data: t.string, out: t.string }),
  t.partial({
    tokens: PosIntArg, steps: PosIntArg, batch: PosIntArg, ctx: PosIntArg, lr: Positive, "min-lr": NonNeg, warmup: NonNegIntArg,
    "weight-decay": NonNeg, "grad-clip": NonNeg, accum: PosIntArg, "eval-every": NonNegIntArg, seed: NonNegIntArg,
    resume: t.boolean, json: t.boolean, layers: t.string, tokenizer: t.string, backend: BackendArg,
  }),
]);
type TrainArgs = t.TypeOf<typeof TrainArgs>;

const s = (help: string) => ({ type: "string", help }) as const;
export const trainCommand: CommandSpec<TrainArgs> = {
  name: "train",
  usage: "train <model> --data <corpus> --out <dir> [--tokens N | --steps N] [--batch B] [--ctx T] [--lr X] [--min-lr X] [--warmup N] " +
    "[--weight-decay W] [--grad-clip C] [--accum K] [--eval-every N] [--seed S] [--layers n|i,j,k] [--tokenizer F] [--backend webgpu|cpu] [--resume] [--json]",
  summary: "Train a model (or the target --layers inherits from it) on a corpus; checkpoints resume exactly.",
  positionals: ["model"],
  flags: {
    data: s("corpus: .txt (paragraphs are documents) / .jsonl / a directory, or a `tokenize` output (required)"),
    out: s("directory for checkpoint, metrics.jsonl and the trained model/ (required)"),
    tokens: s("training token budget (default 200k); steps = ⌈tokens / (batch·ctx·accum)⌉"),
    steps: s("optimizer steps, instead of --tokens"),
    batch: s("sequences per micro-batch (default 16)"),
    ctx: s("tokens per sequence (default 256, at most the model's context)"),
    lr: s("peak learning rate (default 3e-3)"),
    "min-lr": s("learning rate at the last step (default lr/10)"),
    warmup: s("linear warm-up steps (default 10% of the steps)"),
    "weight-decay": s("AdamW decay on matrices (default 0.1)"),
    "grad-clip": s("global gradient-norm clip, 0 = off (default 1.0)"),
    accum: s("micro-batches per step (default 1)"),
    "eval-every": s("evaluate and checkpoint every N steps, 0 = only at the end (default: 10 times a run)"),
    seed: s("data seed (default 0)"),
    layers: s("train the target of the first n (or listed) blocks of <model>"),
    tokenizer: s("tokenizer file, when none sits beside the model"),
    backend: backendFlag,
    resume: { type: "boolean", help: "continue the run in --out from its checkpoint (same flags)" },
    json: { type: "boolean", help: "stdout: JSON lines of metrics, then a summary object" },
  },
  codec: TrainArgs,
};

/** The run's settings from the flags and the paper's defaults. */
export const settingsOf = (a: TrainArgs, spec: ModelSpec): E.Either<AppError, TrainSettings> => {
  if (a.tokens !== undefined && a.steps !== undefined) return E.left(appError("BadArgs", "Cannot run train: --tokens and --steps both set the length", "give one of them"));
  const batch = a.batch ?? 16, ctx = a.ctx ?? Math.min(256, spec.blockSize), accum = a.accum ?? 1;
  const steps = a.steps ?? Math.max(1, Math.ceil((a.tokens ?? 200_000) / (batch * ctx * accum)));
  const lr = a.lr ?? 3e-3, d = defaultSchedule(lr, steps), evalEvery = a["eval-every"] ?? Math.max(1, Math.round(steps / 10));
  return E.right({
    steps, batch, ctx, accum, lr, minLr: a["min-lr"] ?? d.minLr, warmup: a.warmup ?? d.warmup, weightDecay: a["weight-decay"] ?? 0.1,
    gradClip: a["grad-clip"] ?? 1, beta1: 0.9, beta2: 0.95, eps: 1e-8, evalEvery, checkpointEvery: evalEvery, evalTokens: 0, seed: a.seed ?? 0,
  });
};

/** The model to train: <model> itself, or the target --layers inherits from it. */
const trainee = (m: Model, layers: string | undefined): E.Either<AppError, { spec: ModelSpec; weights: Weights }> => {
  if (layers === undefined) return E.right({ spec: m.spec, weights: m.weights });
  return pipe(parseSelection(layers), E.chain((sel) => planInheritance(m.spec, sel)), E.map((p) => ({ spec: p.target, weights: inheritWeights(p, m.weights) })));
};

export const trainerFactory = (b: Backend): TrainerFactory =>
  b._tag === "cpu" ? (spec, init) => TE.right(createCpuTrainer(spec, init)) : (spec, init) => createGpuTrainer(b.kernels, spec, init);

const num = (x: number | null, d: number) => (x === null ? "" : x.toFixed(d));
const row = (m: Metrics) =>
  [String(m.step).padStart(6), String(m.tokens).padStart(10), m.lr === null ? "".padStart(9) : m.lr.toExponential(2).padStart(9),
    num(m.train_loss, 4).padStart(8), num(m.val_loss, 4).padStart(8), num(m.grad_norm, 3).padStart(8), num(m.tokens_per_s, 0).padStart(9)].join(" ") + "\n";
const HEADER = "  step     tokens        lr    train      val   |grad|    tok/s\n";

/** SIGINT → abort (the loop saves a checkpoint between steps); a second SIGINT ends the process as usual. */
const interruptible = async <A>(body: (signal: AbortSignal) => Promise<A>): Promise<A> => {
  const ctl = new AbortController(), onInt = () => (process.off("SIGINT", onInt), ctl.abort());
  process.on("SIGINT", onInt);
  try {
    return await body(ctl.signal);
  } finally {
    process.off("SIGINT", onInt);
  }
};

const tokenizerCopies = async (m: Model, named: string | undefined): Promise<E.Either<AppError, Array<{ name: string; bytes: Uint8Array }>>> => {
  const files = await findTokenizerFiles(m.source, m.spec.vocabSize, named);
  if (E.isLeft(files)) return files;
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const f of files.right.files) {
    const b = await readBytes(f, "tokenizer file")();
    if (E.isLeft(b)) return b;
    out.push({ name: basename(f), bytes: b.right });
  }
  return E.right(out);
};

export const runTrain = async (a: TrainArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const m = await loadModel(a.model)();
  if (E.isLeft(m)) return m;
  const target = trainee(m.right, a.layers);
  if (E.isLeft(target)) return target;
  const settings = settingsOf(a, target.right.spec);
  if (E.isLeft(settings)) return settings;
  const tok = await loadTokenizer(m.right, a.tokenizer)();
  if (E.isLeft(tok)) return tok;
  const copies = await tokenizerCopies(m.right, a.tokenizer);
  if (E.isLeft(copies)) return copies;
  const data = await loadTrainingData(a.data, tok.right)();
  if (E.isLeft(data)) return data;
  if (!a.json) io.out(HEADER);
  const summary = await withBackend(io, a.backend, (b) => interruptible(async (signal) => E.map((x: TrainSummary) => ({ ...x, backend: b._tag }))(await runTraining({
    ...target.right, data: data.right, settings: settings.right, out: a.out, resume: a.resume ?? false, makeTrainer: trainerFactory(b), signal,
    onMetrics: (x) => io.out(a.json ? JSON.stringify(x) + "\n" : row(x)),
    export: { bos: tok.right.bos, eos: tok.right.eos, extraFiles: copies.right },
  })())));
  if (E.isLeft(summary)) return summary;
  io.out(a.json ? JSON.stringify(summary.right) + "\n" : human(summary.right));
  return E.right(undefined);
};

const human = (x: TrainSummary): string =>
  `trained ${x.steps} steps, ${x.tokens.toLocaleString("en-US")} tokens${x.tokens_per_s !== null ? ` at ${x.tokens_per_s.toFixed(0)} tokens/s` : ""}; ` +
  `validation loss ${x.val_loss_initial.toFixed(4)} → ${x.val_loss.toFixed(4)}; model in ${x.model}\n`;
