/**
 * Choosing where a command computes: `--backend webgpu` needs an adapter; `cpu` is the plain
 * reference; left out, WebGPU is used when an adapter exists and the CPU otherwise (with a note).
 * The device is released when the command ends, so the process can exit. The trainers and
 * evaluators of a backend (CPU reference or GPU) come from here too, so a command never builds one by hand.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import type { AppError } from "../../core/errors.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { createCpuEvaluator, createCpuTrainer } from "../../core/train/cpu_trainer.ts";
import type { Evaluator, Teacher, Trainer } from "../../core/train/trainer.ts";
import { createKernelCache, type KernelCache, type KernelProfile, probeLaneWidth, profileFor } from "../../gpu/mod.ts";
import { createGpuEvaluator } from "../../gpu/train/evaluator.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import type { MemoryPlan } from "../../gpu/train/memory_plan.ts";
import { guardOutOfMemory } from "./memory_fit.ts";
import { type MemoryMeter, meterBuffers } from "./buffer_meter.ts";
import type { TrainerFactory } from "../train/loop.ts";
import { watchDeviceLoss, watchEvaluatorLoss } from "./device_loss.ts";
import type { AcquiredDevice, DeviceError } from "./webgpu_device.ts";
import { adapterLine, installNote, noAdapterLine, type RuntimeInfo, runtimeLabel } from "./adapter_line.ts";
import type { SystemFacts } from "./system_probe.ts";
import type { AdapterReport } from "./webgpu_info.ts";

export const BackendArg = t.keyof({ webgpu: null, cpu: null }, "webgpu | cpu");
export type BackendArg = t.TypeOf<typeof BackendArg>;

export type Backend =
  | { readonly _tag: "cpu" }
  | {
    readonly _tag: "webgpu";
    readonly acquired: AcquiredDevice;
    readonly kernels: KernelCache;
    readonly profile: KernelProfile;
    /** The device's live and peak buffer bytes, counted from the backend's start (WebGPU has no memory query). */
    readonly meter: MemoryMeter;
  };

/**
 * Where a device comes from (the runtime's shim), which runtime it is, where the adapter line and notes
 * go (stderr), and the system facts an install note needs (asked only when one may be due).
 */
export interface DeviceSource {
  readonly getDevice: () => TE.TaskEither<DeviceError, AcquiredDevice>;
  readonly note: (line: string) => void;
  readonly runtime: RuntimeInfo;
  readonly facts: () => Promise<SystemFacts>;
}

const noteInstall = async (src: DeviceSource, found: AdapterReport | "none"): Promise<void> => {
  const line = installNote(src.runtime, found, await src.facts());
  if (line !== undefined) src.note(`${line}\n`);
};

/**
 * Runs `body` on the chosen backend and releases the device afterwards, whatever happens. Before it,
 * one line names the runtime, adapter, API, kernel family and limits (adapter_line.ts), or says that
 * there is no adapter; a note follows when a faster adapter could be installed.
 */
export const withBackend = async <A>(
  src: DeviceSource,
  wanted: BackendArg | undefined,
  body: (b: Backend) => Promise<E.Either<AppError, A>>,
): Promise<E.Either<AppError, A>> => {
  if (wanted === "cpu") return body({ _tag: "cpu" });
  const dev = await src.getDevice()();
  if (E.isLeft(dev)) {
    if (wanted === "webgpu") return dev;
    src.note(`${noAdapterLine(runtimeLabel(src.runtime), dev.left.message)}\n`);
    await noteInstall(src, "none");
    return body({ _tag: "cpu" });
  }
  try {
    // The kernel family is chosen once, from the adapter: register-blocked on CPU adapters (sharing
    // rows through subgroups where the probe allows), tiled on GPUs.
    const meter = meterBuffers(dev.right.device), kernels = createKernelCache(dev.right.device), info = dev.right.info;
    const profile = profileFor(info, info.isCpu ? await probeLaneWidth(kernels) : 0);
    src.note(`${adapterLine(runtimeLabel(src.runtime), info, profile)}\n`);
    await noteInstall(src, info);
    return await body({ _tag: "webgpu", acquired: dev.right, kernels, profile, meter });
  } finally {
    dev.right.release();
  }
};

/**
 * Trainers of a backend; with a teacher, every step distils from it (train --distill-from). On the GPU the
 * allocations run in an out-of-memory scope whose error names `plan` (adapters/devices/memory_fit.ts).
 */
export const trainerFactory = (b: Backend, teacher?: Teacher, plan?: MemoryPlan): TrainerFactory =>
  b._tag === "cpu"
    ? (spec, init) => TE.right(createCpuTrainer(spec, init, teacher))
    : (spec, init) =>
      TE.map((t: Trainer) => watchDeviceLoss(b.acquired.lost, t))(
        guardOutOfMemory(
          b.acquired.device,
          createGpuTrainer(b.kernels, spec, init, { profile: b.profile, ...(teacher ? { teacher } : {}) }),
          plan,
        ),
      );

/** Makes an Evaluator of fixed weights: a model's loss without a trainer's gradients and moments. */
export type EvaluatorFactory = (spec: ModelSpec, weights: Weights) => TE.TaskEither<AppError, Evaluator>;

/** Evaluators of a backend: the CPU forward, or the model's forward on the device. */
export const evaluatorFactory = (b: Backend): EvaluatorFactory =>
  b._tag === "cpu"
    ? (spec, weights) => TE.right(createCpuEvaluator(spec, weights))
    : (spec, weights) =>
      TE.map((e: Evaluator) => watchEvaluatorLoss(b.acquired.lost, e))(
        createGpuEvaluator(b.kernels, spec, weights, { profile: b.profile }),
      );
