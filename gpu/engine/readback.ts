/**
 * Reading tensors back to the CPU outside a step: one batch of copies, one `mapAsync`.
 * Inside a step, call `batch.read(t)` instead, so the step and its readback share one submit.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { createBatch } from "./batch.ts";
import { type GpuError } from "./errors.ts";
import { type ArrayOf, type DType, type GpuTensor } from "./tensor.ts";

type Arrays<T extends readonly GpuTensor[]> = {
  readonly [I in keyof T]: T[I] extends GpuTensor<infer D extends DType> ? ArrayOf<D>
    : never;
};

/** The tensors' contents, in order, after all work submitted so far. */
export const readTensors = <const T extends readonly GpuTensor[]>(
  device: GPUDevice,
  tensors: T,
  label = "readback",
): TE.TaskEither<GpuError, Arrays<T>> => {
  const batch = createBatch(device, label);
  const handles = tensors.map((t) => batch.read(t));
  return pipe(batch.submit(), TE.map((r) => handles.map((h) => r.get(h)) as unknown as Arrays<T>));
};
