/**
 * A lost GPU device (driver reset, GPU removed, device destroyed) as one clear error: a trainer's
 * (or evaluator's, or downstream scorer's) failure is checked against the device's `lost` promise
 * (adapters/devices/webgpu_device.ts), and when the device is gone the failure is replaced by one
 * GpuFailure saying so, instead of whichever readback or validation error the loss surfaced as
 * ("AbortError"). The loop saves nothing after a failed step, so the last checkpoint stays.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type AppError, appError } from "../../core/errors.ts";
import type { Scorer } from "../../core/eval/scorer.ts";
import type { Evaluator, Trainer } from "../../core/train/trainer.ts";
import type { DeviceLost } from "./webgpu_device.ts";

const SETTLE_MS = 200; // the lost promise resolves in an event turn of its own, just after the failure

const lostBy = async (lost: Promise<DeviceLost>): Promise<DeviceLost | undefined> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), SETTLE_MS);
  });
  return Promise.race([lost, late]).finally(() => clearTimeout(timer));
};

export const deviceLostError = (i: DeviceLost): AppError =>
  appError(
    "GpuFailure",
    `Cannot continue on the GPU: the device was lost (${i.reason}${i.message !== "" ? `: ${i.message}` : ""})`,
    "the driver reset or the device went away; the last checkpoint is kept: run the same command with --resume",
  );

/** A task whose failure, when it came from a lost device, is reported as that. */
const checked =
  (lost: Promise<DeviceLost>) => <A>(task: TE.TaskEither<AppError, A>): TE.TaskEither<AppError, A> => async () => {
    const r = await task();
    if (E.isRight(r)) return r;
    const i = await lostBy(lost);
    return i === undefined ? r : E.left(deviceLostError(i));
  };

/** The trainer, with any failure that came from a lost device reported as that. */
export const watchDeviceLoss = (lost: Promise<DeviceLost>, t: Trainer): Trainer => {
  const check = checked(lost);
  return {
    spec: t.spec,
    step: (...xs) => check(t.step(...xs)),
    evalLoss: (...xs) => check(t.evalLoss(...xs)),
    state: () => check(t.state()),
    ...(t.gradients !== undefined ? { gradients: () => check(t.gradients!()) } : {}),
    destroy: () => t.destroy(),
  };
};

/** The evaluator, likewise. */
export const watchEvaluatorLoss = (lost: Promise<DeviceLost>, e: Evaluator): Evaluator => {
  const check = checked(lost);
  return { spec: e.spec, evalLoss: (...xs) => check(e.evalLoss(...xs)), destroy: () => e.destroy() };
};

/** The downstream-task scorer (eval --tasks), likewise. */
export const watchScorerLoss = (lost: Promise<DeviceLost>, s: Scorer): Scorer => {
  const check = checked(lost);
  return { spec: s.spec, score: (b) => check(s.score(b)), destroy: () => s.destroy() };
};
