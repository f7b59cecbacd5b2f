/**
 * What stops a run on numbers gone wrong, each as one Diverged error that names the step: a NaN or
 * infinite loss or gradient norm (naming the first gradient tensor that holds one, when the trainer
 * can hand its gradients out), and a loss that ran away while staying finite: above twice the larger
 * of the run's initial validation loss and ln V (worse than guessing uniformly, twice over), which
 * is what too high a learning rate does. The caller saves nothing after such a step, so the last
 * good checkpoint stays.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import { allTensors } from "../../core/model/tensors.ts";
import type { StepResult, Trainer } from "../../core/train/trainer.ts";
import { CHECKPOINT_FILE } from "./checkpoint.ts";

const hint = (out: string | undefined) =>
  `${
    out !== undefined ? `the last good checkpoint is kept in ${join(out, CHECKPOINT_FILE)}; ` : ""
  }lower --lr, raise --warmup or set --grad-clip, and train again into a new --out`;

export const diverged = (what: string, step: number, out: string | undefined): AppError =>
  appError("Diverged", `Cannot continue training: ${what} at step ${step}`, hint(out));

/** The first gradient tensor (in the model's order) holding a NaN or infinity, with its first bad value. */
export const nonFiniteGradient = async (trainer: Trainer): Promise<{ name: string; value: number } | undefined> => {
  if (trainer.gradients === undefined) return undefined;
  const g = await trainer.gradients()();
  if (E.isLeft(g)) return undefined;
  for (const { name } of allTensors(trainer.spec)) {
    const a = g.right[name], i = a === undefined ? -1 : a.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) return { name, value: a![i]! };
  }
  return undefined;
};

/** A step's loss and gradient norm checked; undefined when both are finite. */
export const nonFiniteStep = async (
  trainer: Trainer,
  r: StepResult,
  step: number,
  out: string | undefined,
): Promise<AppError | undefined> => {
  if (Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)) return undefined;
  const g = await nonFiniteGradient(trainer);
  if (!Number.isFinite(r.loss)) {
    return diverged(
      `the loss is ${r.loss}${g === undefined ? "" : ` (the first non-finite gradient is ${g.name}'s, ${g.value})`}`,
      step,
      out,
    );
  }
  return diverged(
    g === undefined
      ? `the gradient norm is ${r.gradNorm}`
      : `the gradient of ${g.name} is ${g.value} (gradient norm ${r.gradNorm})`,
    step,
    out,
  );
};

/** The finite loss that ran away (see the module note); undefined while it has not. */
export const runaway = (
  loss: number,
  valLossInitial: number,
  vocabSize: number,
  step: number,
  out: string | undefined,
): AppError | undefined => {
  const bound = 2 * Math.max(valLossInitial, Math.log(vocabSize));
  return loss > bound
    ? diverged(
      `the loss diverged (${loss.toFixed(3)}, over twice ${
        (bound / 2).toFixed(3)
      }, the larger of the initial validation loss and ln V)`,
      step,
      out,
    )
    : undefined;
};
