/**
 * Whether a training run fits the device, before and while it allocates. Before: the memory plan
 * (gpu/train/memory_plan.ts) against the adapter's limits: its largest buffer against `maxBufferSize`,
 * and, on a CPU adapter (lavapipe: device memory is this machine's memory), its total plus the host's
 * checkpoint readback (weights, m and v in f32) against the memory the OS has available. While: a
 * GPU has no query for its free memory, so the trainer's allocations (its creation, and the first step
 * and evaluation of each (B, T) shape, which make that shape's buffers) run inside an "out-of-memory"
 * error scope; an error there becomes one line naming the plan and what to change.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { freemem } from "node:os";
import { type AppError, appError } from "../../core/errors.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import type { MemoryPlan } from "../../gpu/train/memory_plan.ts";
import type { AdapterReport } from "./webgpu_info.ts";
import { bytesText as gib } from "../../core/report/bytes.ts";

/** The plan in one clause: `1.52 GiB on the device (weights 310.0 MiB, …)`. */
export const planSummary = (p: MemoryPlan): string =>
  `${gib(p.total)} on the device (${p.parts.map((x) => `${x.part} ${gib(x.bytes)}`).join(", ")})`;

/** What a user can change, with the activations' share named: they scale with --batch and --ctx. */
export const LEVERS =
  "use a smaller --batch with a larger --accum (the same tokens per step), a shorter --ctx, or fewer --layers";

const doesNotFit = (what: string, p: MemoryPlan): AppError =>
  appError("OutOfMemory", `Cannot train here: ${what}; the memory plan needs ${planSummary(p)}`, LEVERS);

/** The host bytes a checkpoint reads back beside the device's: weights, m and v of every trainable tensor. */
export const checkpointHostBytes = (p: MemoryPlan): number =>
  3 * (p.parts.find((x) => x.part === "gradients")?.bytes ?? 0);

/**
 * A Left when the plan cannot fit this adapter; `available` is the host's free memory (default: the OS's);
 * `checkpoints` counts a checkpoint's host readback (a training run saves them; a bench's steps do not).
 */
export const planFits = (
  p: MemoryPlan,
  a: AdapterReport,
  available = freemem(),
  checkpoints = true,
): E.Either<AppError, void> => {
  if (p.largest.bytes > a.limits.maxBufferSize) {
    return E.left(
      doesNotFit(
        `its largest buffer (${p.largest.part}, ${gib(p.largest.bytes)}) exceeds the adapter's maxBufferSize ${
          gib(a.limits.maxBufferSize)
        }`,
        p,
      ),
    );
  }
  const need = p.total + (checkpoints ? checkpointHostBytes(p) : 0);
  if (a.isCpu && need > available) {
    return E.left(
      doesNotFit(
        `a CPU adapter's buffers live in this machine's memory, and ${gib(need)}${
          checkpoints ? " with a checkpoint's readback" : ""
        } exceeds the ${gib(available)} available`,
        p,
      ),
    );
  }
  return E.right(undefined);
};

/** Runs `task` inside an out-of-memory error scope; an error caught there becomes `oom` (and a made value is discarded). */
const scoped = <A>(
  device: GPUDevice,
  task: TE.TaskEither<AppError, A>,
  oom: () => AppError,
  discard: (a: A) => void = () => {},
): TE.TaskEither<AppError, A> =>
async () => {
  device.pushErrorScope("out-of-memory");
  const r = await task();
  const err = await device.popErrorScope();
  if (err === null) return r;
  if (E.isRight(r)) discard(r.right);
  return E.left(oom());
};

const ranOut = (p: MemoryPlan | undefined, when: string) => (): AppError =>
  appError(
    "OutOfMemory",
    `Cannot train here: the device ran out of memory ${when}${p === undefined ? "" : `; the plan: ${planSummary(p)}`}`,
    LEVERS,
  );

/** The trainer made inside an out-of-memory scope, its first step and evaluation of each shape likewise. */
export const guardOutOfMemory = (
  device: GPUDevice,
  make: TE.TaskEither<AppError, Trainer>,
  plan: MemoryPlan | undefined,
): TE.TaskEither<AppError, Trainer> =>
async () => {
  const made = await scoped(
    device,
    make,
    ranOut(plan, "allocating the weights and optimizer state"),
    (t) => t.destroy(),
  )();
  if (E.isLeft(made)) return made;
  const t = made.right, seen = new Set<string>();
  const firstOf = <A>(key: string, task: TE.TaskEither<AppError, A>): TE.TaskEither<AppError, A> => {
    if (seen.has(key)) return task;
    seen.add(key);
    return scoped(device, task, ranOut(plan, `allocating the activations of a ${key.slice(2)} batch`));
  };
  return E.right({
    ...t,
    step: (mbs, B, T, hp) => firstOf(`s ${B}×${T}`, t.step(mbs, B, T, hp)),
    evalLoss: (mb, B, T) => firstOf(`e ${B}×${T}`, t.evalLoss(mb, B, T)),
  });
};
