/**
 * A training run's settings in one place: the codec a checkpoint stores them with, the defaults
 * (PAPER.md "In miniature": batch 16 × 256, AdamW β (0.9, 0.95), ε 1e-8, weight decay 0.1, clip
 * 1.0, peak lr 3e-3 with 10% warm-up and cosine to a tenth of the peak, a 200k-token budget,
 * evaluation 10 times a run), how asked-for values and defaults become settings, the metrics a run
 * writes and the names of the files it writes them to.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { type AppError, appError } from "../../core/errors.ts";
import { contextLimit, type ModelSpec } from "../../core/model/spec.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { learningRate } from "../../core/train/schedule.ts";
import type { Hyper } from "../../core/train/trainer.ts";

/** Files a run writes into its --out directory. */
export const METRICS_FILE = "metrics.jsonl";
export const MODEL_DIR = "model";
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/** What a run was started with; a resumed run must use the same, or it would not continue exactly. */
export const TrainSettings = t.type({
  steps: t.number,
  batch: t.number,
  ctx: t.number,
  accum: t.number,
  lr: t.number,
  minLr: t.number,
  warmup: t.number,
  weightDecay: t.number,
  gradClip: t.number,
  beta1: t.number,
  beta2: t.number,
  eps: t.number,
  evalEvery: t.number,
  checkpointEvery: t.number,
  evalTokens: t.number, // 0 = the whole held-out split
  seed: t.number,
}, "TrainSettings");
export type TrainSettings = t.TypeOf<typeof TrainSettings>;

/** The defaults, PAPER.md "In miniature"; ctx is also capped by the model's context. */
export const DEFAULTS = {
  tokens: 200_000,
  batch: 16,
  ctx: 256,
  accum: 1,
  lr: 3e-3,
  weightDecay: 0.1,
  gradClip: 1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  evaluations: 10, // evaluations (and checkpoints) per run, the last at the end
  evalTokens: 0,
  seed: 0,
} as const;

/** What a user may ask for; anything left out takes its default. */
export interface SettingsAsked {
  readonly tokens?: number | undefined;
  readonly steps?: number | undefined;
  readonly batch?: number | undefined;
  readonly ctx?: number | undefined;
  readonly accum?: number | undefined;
  readonly lr?: number | undefined;
  readonly minLr?: number | undefined;
  readonly warmup?: number | undefined;
  readonly weightDecay?: number | undefined;
  readonly gradClip?: number | undefined;
  readonly evalEvery?: number | undefined;
  readonly evalTokens?: number | undefined;
  readonly seed?: number | undefined;
}

/** A run's settings from what was asked and the defaults: steps = ⌈tokens / (batch·ctx·accum)⌉. */
export const settingsFor = (a: SettingsAsked, spec: ModelSpec): E.Either<AppError, TrainSettings> => {
  if (a.tokens !== undefined && a.steps !== undefined) {
    return E.left(
      appError("BadArgs", "Cannot run train: --tokens and --steps both set the length", "give one of them"),
    );
  }
  const batch = a.batch ?? DEFAULTS.batch, ctx = a.ctx ?? Math.min(DEFAULTS.ctx, contextLimit(spec).limit);
  const accum = a.accum ?? DEFAULTS.accum, lr = a.lr ?? DEFAULTS.lr;
  const steps = a.steps ?? Math.max(1, Math.ceil((a.tokens ?? DEFAULTS.tokens) / (batch * ctx * accum)));
  const evalEvery = a.evalEvery ?? Math.max(1, Math.round(steps / DEFAULTS.evaluations));
  return E.right({
    steps,
    batch,
    ctx,
    accum,
    lr,
    minLr: a.minLr ?? lr / 10, // a tenth of the peak
    warmup: a.warmup ?? Math.max(1, Math.round(steps / 10)), // 10% of the run, at least one step
    weightDecay: a.weightDecay ?? DEFAULTS.weightDecay,
    gradClip: a.gradClip ?? DEFAULTS.gradClip,
    beta1: DEFAULTS.beta1,
    beta2: DEFAULTS.beta2,
    eps: DEFAULTS.eps,
    evalEvery,
    checkpointEvery: evalEvery,
    evalTokens: a.evalTokens ?? DEFAULTS.evalTokens,
    seed: a.seed ?? DEFAULTS.seed,
  });
};

/** The optimizer's hyperparameters at a step: the schedule's lr and the settings' AdamW values. */
export const hyperAt = (s: TrainSettings, step: number): Hyper => ({
  lr: learningRate({ lr: s.lr, minLr: s.minLr, warmup: s.warmup, steps: s.steps }, step),
  beta1: s.beta1,
  beta2: s.beta2,
  eps: s.eps,
  weightDecay: s.weightDecay,
  gradClip: s.gradClip,
});

/** The token streams a run trains and evaluates on. */
export interface TrainData {
  readonly train: TokenArray;
  readonly val: TokenArray;
}

/** One line of metrics.jsonl; null where a step has no such value (step 0 has no training loss). */
export interface Metrics {
  readonly step: number;
  readonly steps: number; // the run's total
  readonly tokens: number;
  readonly lr: number | null;
  readonly train_loss: number | null;
  readonly val_loss: number | null;
  readonly grad_norm: number | null;
  readonly ms_per_step: number | null; // this step's optimizer step, evaluation excluded
  readonly tokens_per_s: number | null;
  /** Model FLOPs per second over the adapter's measured peak (core/model/flops.ts; gpu/model/linear_peak.ts). */
  readonly mfu: number | null;
  readonly eta_s: number | null; // wall time left at this run's pace so far, evaluations included
  readonly device_bytes: number | null; // the device buffers live now (adapters/devices/buffer_meter.ts)
}

/** The metrics fields that measure the machine rather than the run: two identical runs differ only in these. */
export const TIMING_FIELDS = ["ms_per_step", "tokens_per_s", "mfu", "eta_s", "device_bytes"] as const;

/** A metrics line (or a summary) without its timing fields, for comparing runs. */
export const withoutTimings = <T extends object>(m: T): Omit<T, (typeof TIMING_FIELDS)[number]> => {
  const out = { ...m } as Record<string, unknown>;
  for (const k of TIMING_FIELDS) delete out[k];
  return out as Omit<T, (typeof TIMING_FIELDS)[number]>;
};
