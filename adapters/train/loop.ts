/**
 * The training loop (nanoGPT's train.py, read top to bottom): batches from the training tokens
 * (core/train/batches.ts), the schedule's lr (core/train/schedule.ts), one Trainer step (CPU or GPU, it never
 * knows which), evaluation on the held-out split at the start, every `evalEvery` steps and at the
 * end, metrics as JSON lines in `<out>/metrics.jsonl` and through a callback, an atomic checkpoint
 * (adapters/train/checkpoint.ts) every `checkpointEvery` steps, on abort and at the end, and the final
 * weights as a Hugging Face directory `<out>/model`. A resumed run continues bit for bit: the
 * checkpoint holds the weights, moments, t, step and the data RNG state, and the lr is a function
 * of the step. A NaN or infinite loss or gradient, or a runaway loss (adapters/train/faults.ts),
 * stops the run before anything is saved over the last good checkpoint; a killed run's temporary
 * files are removed when it resumes.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { appendFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { evalBatches, type TokenArray, trainBatches } from "../../core/train/batches.ts";
import { type AppError, appError, isAppError } from "../../core/errors.ts";
import { seedRng } from "../../core/rng.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { Evaluator, OptimizerState, StepResult, Trainer } from "../../core/train/trainer.ts";
import { ioFailure, tempBeside } from "../fs/atomic_write.ts";
import { type Checkpoint, CHECKPOINT_FILE, type Progress, saveCheckpoint } from "./checkpoint.ts";
import { type HfExport, saveHfModel } from "../formats/hf_checkpoint.ts";
import { nonFiniteStep, runaway } from "./faults.ts";
import { removeStaleTemps, settingsProblem, startingPoint, trimMetrics } from "./setup.ts";
import { hyperAt, type Metrics, METRICS_FILE, MODEL_DIR, type TrainData, type TrainSettings } from "./settings.ts";

export type { Progress } from "./checkpoint.ts";
export { type Metrics, METRICS_FILE, MODEL_DIR, type TrainData, type TrainSettings } from "./settings.ts";

export type TrainerFactory = (
  spec: ModelSpec,
  init: OptimizerState | { readonly weights: Weights },
) => TE.TaskEither<AppError, Trainer>;

export interface TrainSummary {
  readonly steps: number;
  readonly tokens: number;
  readonly val_loss_initial: number;
  readonly val_loss: number;
  readonly train_loss: number | null; // the last step's (null when this invocation took no step)
  readonly tokens_per_s: number | null; // training steps only, this invocation
  readonly resumed_from: number | null;
  readonly out: string;
  readonly model: string;
}

export interface TrainRun {
  readonly spec: ModelSpec;
  readonly weights: Weights; // the start, ignored when resuming
  readonly data: TrainData;
  readonly settings: TrainSettings;
  readonly out: string;
  readonly resume: boolean;
  readonly makeTrainer: TrainerFactory;
  readonly onMetrics?: (m: Metrics) => void;
  readonly signal?: AbortSignal;
  readonly export?: Pick<HfExport, "bos" | "eos" | "extraFiles">; // tokenizer ids and files for <out>/model
  readonly gauge?: Gauge;
}

/** What the metrics lines measure beyond the loop's own clock: MFU's yardstick and the device's memory. */
export interface Gauge {
  readonly flopsPerToken: number; // core/model/flops.ts trainFlopsPerToken at the run's context
  readonly peakFlops: number | null; // the adapter's measured peak, FLOP/s; null on the CPU reference
  readonly deviceBytes: () => number | null;
}

/** One optimizer step: the next K micro-batches from the RNG, this step's lr, and the new progress. */
export const stepOnce = async (
  trainer: Trainer,
  data: TrainData,
  s: TrainSettings,
  p: Progress,
  out?: string,
): Promise<E.Either<AppError, { progress: Progress; result: StepResult; lr: number }>> => {
  const { batches, rng } = trainBatches(data.train, s.accum, s.batch, s.ctx, p.rng);
  const hp = hyperAt(s, p.step);
  const r = await trainer.step(batches, s.batch, s.ctx, hp)();
  if (E.isLeft(r)) return r;
  const fault = await nonFiniteStep(trainer, r.right, p.step + 1, out);
  if (fault !== undefined) return E.left(fault);
  const progress = { ...p, step: p.step + 1, tokens: p.tokens + s.accum * s.batch * s.ctx, rng };
  return E.right({ progress, result: r.right, lr: hp.lr });
};

/** Mean loss over the evaluation windows (each batch weighted by its rows). */
export const evaluate = async (
  evaluator: Evaluator,
  val: TokenArray,
  s: Pick<TrainSettings, "batch" | "ctx" | "evalTokens">,
): Promise<E.Either<AppError, number>> => {
  let sum = 0, rows = 0;
  for (const b of evalBatches(val, s.batch, s.ctx, s.evalTokens > 0 ? s.evalTokens : Infinity)) {
    const l = await evaluator.evalLoss(b.batch, b.rows, s.ctx)();
    if (E.isLeft(l)) return l;
    sum += l.right * b.rows;
    rows += b.rows;
  }
  return E.right(sum / rows);
};

const yieldToEvents = () => new Promise<void>((res) => setTimeout(res, 0)); // lets a SIGINT handler run between steps

export const runTraining = (r: TrainRun): TE.TaskEither<AppError, TrainSummary> => async () => {
  const problem = settingsProblem(r.spec, r.data, r.settings);
  if (problem !== undefined) return E.left(problem);
  const start = await startingPoint(r);
  if (E.isLeft(start)) return start;
  const ck = start.right, metricsPath = join(r.out, METRICS_FILE);
  try {
    await mkdir(r.out, { recursive: true });
    await (ck === undefined ? writeFile(metricsPath, "") : trimMetrics(metricsPath, ck.progress.step));
    await removeStaleTemps(r.out);
    // The tokenizer beside the checkpoint too, so `--checkpoint` finds it before model/ exists (run_dir.ts).
    for (const f of r.export?.extraFiles ?? []) await writeFile(join(r.out, f.name), f.bytes);
  } catch (e) {
    return E.left(ioFailure("training output", r.out, e));
  }
  const trainer = await r.makeTrainer(r.spec, ck?.state ?? { weights: r.weights })();
  if (E.isLeft(trainer)) return trainer;
  try {
    return await loop(r, trainer.right, ck, metricsPath);
  } catch (e) {
    if (isAppError(e)) return E.left(e); // a metrics line that could not be written
    throw e;
  } finally {
    trainer.right.destroy();
  }
};

/** The loop's writers: a metrics line (callback and file) and a checkpoint of the trainer's state. */
const writers = (r: TrainRun, trainer: Trainer, metricsPath: string) => ({
  emit: async (m: Metrics) => {
    r.onMetrics?.(m);
    await appendFile(metricsPath, JSON.stringify(m) + "\n").catch((e: unknown) =>
      Promise.reject(ioFailure("metrics", metricsPath, e))
    );
  },
  save: async (p: Progress): Promise<E.Either<AppError, void>> => {
    const st = await trainer.state()();
    return E.isLeft(st) ? st : saveCheckpoint(join(r.out, CHECKPOINT_FILE), {
      spec: r.spec,
      state: st.right,
      progress: p,
      settings: r.settings,
    })();
  },
});

/** A fresh run's step 0: the initial validation loss, its metrics line and a first checkpoint. */
const begin = async (
  r: TrainRun,
  trainer: Trainer,
  w: ReturnType<typeof writers>,
): Promise<E.Either<AppError, Progress>> => {
  const v0 = await evaluate(trainer, r.data.val, r.settings);
  if (E.isLeft(v0)) return v0;
  const p = { step: 0, tokens: 0, rng: seedRng(r.settings.seed), valLossInitial: v0.right };
  await w.emit({
    step: 0,
    steps: r.settings.steps,
    tokens: 0,
    lr: null,
    train_loss: null,
    val_loss: v0.right,
    grad_norm: null,
    ms_per_step: null,
    tokens_per_s: null,
    mfu: null,
    eta_s: null,
    device_bytes: r.gauge?.deviceBytes() ?? null,
  });
  return E.map(() => p)(await w.save(p));
};

const interrupted = (s: TrainSettings, p: Progress, out: string): AppError =>
  appError(
    "Interrupted",
    `Cannot finish training: interrupted after step ${p.step} of ${s.steps}`,
    `the checkpoint in ${
      join(out, CHECKPOINT_FILE)
    } holds step ${p.step}; run the same command with --resume to continue`,
  );

const loop = async (
  r: TrainRun,
  trainer: Trainer,
  ck: Checkpoint | undefined,
  metricsPath: string,
): Promise<E.Either<AppError, TrainSummary>> => {
  const s = r.settings, w = writers(r, trainer, metricsPath);
  const start = ck === undefined ? await begin(r, trainer, w) : E.right(ck.progress);
  if (E.isLeft(start)) return start;
  let p = start.right, lastTrain: number | null = null, lastVal: number | null = null, ms = 0, tokens = 0;
  const t0Loop = performance.now(), step0 = p.step;
  while (p.step < s.steps) {
    await yieldToEvents();
    if (r.signal?.aborted) return E.chain(() => E.left(interrupted(s, p, r.out)))(await w.save(p));
    const t0 = performance.now(), st = await stepOnce(trainer, r.data, s, p, r.out);
    if (E.isLeft(st)) return st;
    const away = runaway(st.right.result.loss, p.valLossInitial, r.spec.vocabSize, st.right.progress.step, r.out);
    if (away !== undefined) return E.left(away);
    const dt = performance.now() - t0, n = st.right.progress.tokens - p.tokens;
    [p, ms, tokens, lastTrain] = [st.right.progress, ms + dt, tokens + n, st.right.result.loss];
    const last = p.step === s.steps,
      val = last || (s.evalEvery > 0 && p.step % s.evalEvery === 0)
        ? await evaluate(trainer, r.data.val, s)
        : E.right(null);
    if (E.isLeft(val)) return val;
    lastVal = val.right ?? lastVal;
    const perStep = (performance.now() - t0Loop) / (p.step - step0), tps = n / (dt / 1000);
    await w.emit({
      step: p.step,
      steps: s.steps,
      tokens: p.tokens,
      lr: st.right.lr,
      train_loss: lastTrain,
      val_loss: val.right,
      grad_norm: st.right.result.gradNorm,
      ms_per_step: dt,
      tokens_per_s: tps,
      mfu: r.gauge?.peakFlops ? (tps * r.gauge.flopsPerToken) / r.gauge.peakFlops : null,
      eta_s: ((s.steps - p.step) * perStep) / 1000,
      device_bytes: r.gauge?.deviceBytes() ?? null,
    });
    const saved = last || (s.checkpointEvery > 0 && p.step % s.checkpointEvery === 0)
      ? await w.save(p)
      : E.right(undefined);
    if (E.isLeft(saved)) return saved;
  }
  return finish(r, trainer, p, { lastTrain, lastVal, ms, tokens, resumedFrom: ck?.progress.step ?? null });
};

interface Tally {
  readonly lastTrain: number | null;
  readonly lastVal: number | null;
  readonly ms: number; // spent in training steps
  readonly tokens: number; // trained in this invocation
  readonly resumedFrom: number | null;
}

/** The final evaluation (when the last step did not just make one) and `<out>/model`. */
const finish = async (
  r: TrainRun,
  trainer: Trainer,
  p: Progress,
  { lastTrain, lastVal, ms, tokens, resumedFrom }: Tally,
): Promise<E.Either<AppError, TrainSummary>> => {
  const val = lastVal !== null ? E.right(lastVal) : await evaluate(trainer, r.data.val, r.settings);
  if (E.isLeft(val)) return val;
  const st = await trainer.state()();
  if (E.isLeft(st)) return st;
  const dir = join(r.out, MODEL_DIR), tmp = tempBeside(dir);
  const saved = await saveHfModel(tmp, { spec: r.spec, weights: st.right.weights, dtype: "F32", ...r.export })();
  if (E.isLeft(saved)) return saved;
  try { // only a resumed run finds an export here (its own earlier one): replaced only once the new one is whole
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    return E.left(ioFailure("model directory", dir, e));
  }
  return E.right({
    steps: p.step,
    tokens: p.tokens,
    val_loss_initial: p.valLossInitial,
    val_loss: val.right,
    train_loss: lastTrain,
    tokens_per_s: tokens > 0 ? tokens / (ms / 1000) : null,
    resumed_from: resumedFrom,
    out: r.out,
    model: dir,
  });
};
