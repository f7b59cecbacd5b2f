/**
 * `inheritune train <model> --data <corpus> --out <dir>`: train a model (or, with --layers, the
 * target inherited on the fly from it: core/surgery/plan.ts) on a corpus with the loop of
 * adapters/train/loop.ts, on the GPU or the CPU reference. The defaults are PAPER.md's "In
 * miniature", kept in adapters/train/settings.ts. SIGINT saves a checkpoint; --resume continues.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { basename } from "node:path";
import type { Model } from "../../adapters/formats/models.ts";
import { type Gauge, runTraining, type TrainSummary } from "../../adapters/train/loop.ts";
import { type Metrics, settingsFor, type TrainSettings } from "../../adapters/train/settings.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { inheritWeights } from "../../core/surgery/plan.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { backendFlag, type CommandSpec, NonNegIntArg, NumberArg, PosIntArg } from "../args.ts";
import {
  type Backend,
  BackendArg,
  evaluatorFactory,
  trainerFactory,
  withBackend,
} from "../../adapters/devices/backend.ts";
import { planFits } from "../../adapters/devices/memory_fit.ts";
import { describeAdapter } from "../../adapters/devices/webgpu_info.ts";
import { evalStarts } from "../../core/train/batches.ts";
import { type MemoryPlan, trainingMemoryPlan } from "../../gpu/train/memory_plan.ts";
import { linearPeakGflops } from "../../gpu/model/linear_peak.ts";
import { trainFlopsPerToken } from "../../core/model/flops.ts";
import { planTable } from "../memory_plan.ts";
import { devicesOf, type Io } from "../io.ts";
import { progressLine } from "../progress.ts";
import { distillFlags, type DistillInfo, teacherOf } from "../distill.ts";
import { type Chosen, selectBlocks } from "../select.ts";
import { defaultOut, embedded, interruptible, prepare, referenceLoss } from "../run_setup.ts";
import { mibText } from "../../core/report/bytes.ts";

const NonNeg = t.refinement(NumberArg, (x) => x >= 0, "number ≥ 0");
const Positive = t.refinement(NumberArg, (x) => x > 0, "number > 0");
const TrainArgs = t.partial({
  model: t.string,
  data: t.string,
  out: t.string,
  "eval-tokens": NonNegIntArg,
  tokens: PosIntArg,
  steps: PosIntArg,
  batch: PosIntArg,
  ctx: PosIntArg,
  lr: Positive,
  "min-lr": NonNeg,
  warmup: NonNegIntArg,
  "weight-decay": NonNeg,
  "grad-clip": NonNeg,
  accum: PosIntArg,
  "eval-every": NonNegIntArg,
  seed: NonNegIntArg,
  resume: t.boolean,
  json: t.boolean,
  layers: t.string,
  tokenizer: t.string,
  backend: BackendArg,
  "distill-from": t.string,
  "kd-weight": NumberArg,
  "kd-temperature": NumberArg,
});
export type TrainArgs = t.TypeOf<typeof TrainArgs>;

const s = (help: string) => ({ type: "string", help }) as const;
export const trainCommand: CommandSpec<TrainArgs> = {
  name: "train",
  usage:
    "train [<model> --data <corpus> --out <dir>] [--tokens N | --steps N] [--batch B] [--ctx T] [--lr X] [--min-lr X] [--warmup N] " +
    "[--weight-decay W] [--grad-clip C] [--accum K] [--eval-every N] [--seed S] [--layers n|i,j,k] [--distill-from <reference> [--kd-weight a] [--kd-temperature T]] " +
    "[--tokenizer F] [--backend webgpu|cpu] [--resume] [--json]",
  summary:
    "Train a model (or the target --layers inherits from it) on a corpus; with no model, the embedded default: the first 3 of stories260K's 5 blocks on the bundled TinyStories excerpt.",
  positionals: ["model"],
  optional: ["model"],
  flags: {
    data: s(
      "corpus: .txt (paragraphs are documents) / .jsonl / a directory, or a `tokenize` output (required with <model>)",
    ),
    out: s("directory for checkpoint, metrics.jsonl and the trained model/ (default runs/<name>-<time>)"),
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
    "eval-tokens": s("validation tokens per evaluation, 0 = the whole held-out split (default 0)"),
    seed: s("data seed (default 0)"),
    layers: s(
      "train the target inheriting these blocks of <model>: n | first:n | every:k | influence:n | rank:n | i,j,k",
    ),
    ...distillFlags,
    tokenizer: s("tokenizer file, when none sits beside the model"),
    backend: backendFlag,
    resume: { type: "boolean", help: "continue the run in --out from its checkpoint (same flags)" },
    json: { type: "boolean", help: "stdout: JSON lines of metrics, then a summary object" },
  },
  codec: TrainArgs,
};

/** The run's settings from the flags and the defaults (adapters/train/settings.ts). */
export const settingsOf = (a: TrainArgs, spec: ModelSpec): E.Either<AppError, TrainSettings> =>
  settingsFor({
    tokens: a.tokens,
    steps: a.steps,
    batch: a.batch,
    ctx: a.ctx,
    accum: a.accum,
    lr: a.lr,
    minLr: a["min-lr"],
    warmup: a.warmup,
    weightDecay: a["weight-decay"],
    gradClip: a["grad-clip"],
    evalEvery: a["eval-every"],
    evalTokens: a["eval-tokens"],
    seed: a.seed,
  }, spec);

/** On the GPU, the run's memory plan, refused when it cannot fit the adapter; none on the CPU reference. */
const memoryPlanOf = (
  b: Backend,
  spec: ModelSpec,
  st: TrainSettings,
  valTokens: number,
  teacher: ModelSpec | undefined,
): E.Either<AppError, MemoryPlan | undefined> => {
  if (b._tag === "cpu") return E.right(undefined);
  const windows = evalStarts(valTokens, st.ctx, st.evalTokens > 0 ? st.evalTokens : Infinity).length;
  const tail = windows % st.batch, evalTail = windows < st.batch ? windows : tail === 0 ? undefined : tail;
  const shapes = { batch: st.batch, ctx: st.ctx, ...(evalTail !== undefined && evalTail > 0 ? { evalTail } : {}) };
  const plan = trainingMemoryPlan(spec, shapes, b.acquired.device.limits, teacher);
  return E.map(() => plan)(planFits(plan, b.acquired.info));
};

/** MFU's yardstick, measured on the adapter (gpu/model/linear_peak.ts), and the device's live bytes. */
const gaugeOf = async (b: Backend, spec: ModelSpec, ctx: number): Promise<Gauge> => {
  const flopsPerToken = trainFlopsPerToken(spec, ctx);
  if (b._tag === "cpu") return { flopsPerToken, peakFlops: null, deviceBytes: () => null };
  const peak = await linearPeakGflops(b.kernels, b.profile)();
  return { flopsPerToken, peakFlops: E.isRight(peak) ? peak.right * 1e9 : null, deviceBytes: () => b.meter.live() };
};

/** The model to train: <model> itself, or the target --layers inherits from it (any strategy of core/surgery/strategies.ts). */
const trainee = async (
  m: Model,
  layers: string | undefined,
  val: TokenArray,
): Promise<E.Either<AppError, { spec: ModelSpec; weights: Weights }>> => {
  if (layers === undefined) return E.right({ spec: m.spec, weights: m.weights });
  return E.map((c: Chosen) => ({ spec: c.plan.target, weights: inheritWeights(c.plan, m.weights) }))(
    await selectBlocks(m, layers, val),
  );
};

const num = (x: number | null, d: number) => (x === null ? "" : x.toFixed(d));
const clock = (s: number | null): string => {
  if (s === null) return "";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
};
export const mib = (b: number | null): string => (b === null ? "" : mibText(b));
/** One metrics line as litgpt and llm.c print them: step/steps, losses, lr, |grad|, ms/step, tok/s, MFU, ETA, memory. */
const row = (m: Metrics) =>
  [
    `${m.step}/${m.steps}`.padStart(11),
    num(m.train_loss, 4).padStart(8),
    num(m.val_loss, 4).padStart(8),
    m.lr === null ? "".padStart(9) : m.lr.toExponential(2).padStart(9),
    num(m.grad_norm, 3).padStart(8),
    num(m.ms_per_step, 0).padStart(8),
    num(m.tokens_per_s, 0).padStart(8),
    (m.mfu === null ? "" : `${(100 * m.mfu).toFixed(1)}%`).padStart(6),
    clock(m.eta_s).padStart(7),
    mib(m.device_bytes).padStart(9),
  ].join(" ") + "\n";
const HEADER = "       step    train      val        lr   |grad|  ms/step    tok/s    MFU     ETA    device\n";

/** Where the run's inputs come from: the flags, or the embedded default when no model is named. */
const inputsOf = (
  a: TrainArgs,
  io: Io,
): E.Either<AppError, { model: string; data: string; out: string; layers: string | undefined }> => {
  if (a.model === undefined) {
    const d = embedded(io);
    return E.right({
      model: d.model,
      data: a.data ?? d.data,
      out: a.out ?? defaultOut(io, "stories260K-first3"),
      layers: a.layers ?? d.layers,
    });
  }
  if (a.data === undefined) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot run train: --data is required with a model",
        "give --data <corpus>, or no model for the embedded default",
      ),
    );
  }
  return E.right({
    model: a.model,
    data: a.data,
    out: a.out ?? defaultOut(io, basename(a.model).replace(/\.[^.]*$/, "")),
    layers: a.layers,
  });
};

export const runTrain = async (a: TrainArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const inputs = inputsOf(a, io);
  if (E.isLeft(inputs)) return inputs;
  const { model: modelPath, data: dataPath, out, layers } = inputs.right;
  const p = await prepare(modelPath, dataPath, a.tokenizer);
  if (E.isLeft(p)) return p;
  const target = await trainee(p.right.model, layers, p.right.data.val);
  if (E.isLeft(target)) return target;
  const settings = settingsOf(a, target.right.spec);
  if (E.isLeft(settings)) return settings;
  const kd = await teacherOf(a, target.right.spec, settings.right.ctx, { path: modelPath, model: p.right.model });
  if (E.isLeft(kd)) return kd;
  const t0 = io.now();
  const summary = await withBackend(devicesOf(io), a.backend, (b) =>
    interruptible(async (signal) => {
      const plan = memoryPlanOf(b, target.right.spec, settings.right, p.right.data.val.length, kd.right?.teacher.spec);
      if (E.isLeft(plan)) return plan;
      if (plan.right !== undefined && !a.json && b._tag === "webgpu") {
        io.out(planTable(plan.right, describeAdapter(b.acquired.info)));
      }
      const makeTrainer = trainerFactory(b, kd.right?.teacher, plan.right);
      const gauge = await gaugeOf(b, target.right.spec, settings.right.ctx);
      const refLoss = layers === undefined
        ? E.right(undefined)
        : await referenceLoss(evaluatorFactory(b), p.right, settings.right);
      if (E.isLeft(refLoss)) return refLoss;
      if (!a.json) io.out(HEADER);
      const bar = progressLine(io, "train", settings.right.steps);
      const r = await runTraining({
        ...target.right,
        data: p.right.data,
        settings: settings.right,
        out,
        resume: a.resume ?? false,
        makeTrainer,
        signal,
        onMetrics: (x) => {
          bar.end();
          io.out(a.json ? JSON.stringify(x) + "\n" : row(x));
          bar.update(
            x.step,
            x.train_loss === null ? "" : `loss ${x.train_loss.toFixed(3)} ${x.tokens_per_s?.toFixed(0) ?? "?"} tok/s`,
          );
        },
        export: { bos: p.right.tok.bos, eos: p.right.tok.eos, extraFiles: p.right.copies },
        gauge,
      })();
      bar.end();
      return E.map((x: TrainSummary) => ({
        ...x,
        backend: b._tag,
        reference_val_loss: refLoss.right ?? null,
        distill: kd.right?.info ?? null,
        memory_plan: plan.right === undefined ? null : { total_bytes: plan.right.total, parts: plan.right.parts },
        device_peak_bytes: b._tag === "webgpu" ? b.meter.peak() : null,
        adapter: b._tag === "webgpu" ? `${describeAdapter(b.acquired.info)}; kernels ${b.profile}` : "cpu reference",
        peak_gflops: gauge.peakFlops === null ? null : gauge.peakFlops / 1e9,
        seconds: (io.now() - t0) / 1000,
      }))(r);
    }));
  if (E.isLeft(summary)) return summary;
  io.out(a.json ? JSON.stringify(summary.right) + "\n" : human(summary.right));
  return E.right(undefined);
};

type Done = TrainSummary & {
  readonly memory_plan: { readonly total_bytes: number } | null;
  readonly device_peak_bytes: number | null;
  readonly adapter: string;
  readonly reference_val_loss: number | null;
  readonly distill: DistillInfo | null;
  readonly seconds: number;
};

const human = (x: Done): string => {
  const rows: Array<[string, string]> = [
    ...(x.reference_val_loss === null
      ? []
      : [["reference val loss", x.reference_val_loss.toFixed(4)] as [string, string]]),
    ...(x.distill === null ? [] : [
      ["distilled from", `${x.distill.from} (weight ${x.distill.weight}, temperature ${x.distill.temperature})`] as [
        string,
        string,
      ],
    ]),
    ["target val loss, before training", x.val_loss_initial.toFixed(4)],
    ["target val loss, after training", x.val_loss.toFixed(4)],
    ["tokens used", x.tokens.toLocaleString("en-US")],
    ["time", `${x.seconds.toFixed(1)} s`],
    ["training tokens/s", x.tokens_per_s === null ? "-" : x.tokens_per_s.toFixed(0)],
    ...(x.memory_plan === null ? [] : [
      ["device memory, planned", mib(x.memory_plan.total_bytes)] as [string, string],
      ["device memory, peak", mib(x.device_peak_bytes)] as [string, string],
    ]),
    ["adapter", x.adapter],
    ["model", x.model],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return "\n" + rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n";
};
