/**
 * GPU tensors: a labelled storage buffer with a shape and a dtype, plus upload and views.
 * Every buffer can be a copy source and destination (uploads, readbacks, checkpoints).
 * Uploads go through `queue.writeBuffer`, which the queue orders before any later submit; a
 * write is not ordered inside a batch, so upload before recording the batch that reads it.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { BufferUsage, roundUp } from "./_usage.ts";
import { type GpuError, gpuError } from "./errors.ts";
import {
  type BindingSpan,
  type ElementSpan,
  splitElements,
  splitForBinding,
  unsplittable,
  unsplittableElements,
} from "./split.ts";

export type DType = "f32" | "i32" | "u32";
export type ArrayOf<D extends DType> = D extends "f32" ? Float32Array : D extends "i32" ? Int32Array : Uint32Array;

export interface GpuTensor<D extends DType = DType> {
  readonly _kind: "GpuTensor";
  readonly label: string;
  readonly dtype: D;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly byteLength: number;
  readonly buffer: GPUBuffer;
}

/** A byte range of a tensor bound on its own (see gpu/engine/split.ts). */
export interface TensorView<D extends DType = DType> {
  readonly _kind: "TensorView";
  readonly tensor: GpuTensor<D>;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

export const BYTES_PER_ELEMENT = 4; // f32, i32, u32 alike

/** A zero-filled tensor, or a Left when the device cannot hold it in one buffer. */
export const createTensor = <D extends DType>(
  device: GPUDevice,
  label: string,
  shape: readonly number[],
  dtype: D,
): E.Either<GpuError, GpuTensor<D>> => {
  const size = shape.reduce((a, b) => a * b, 1);
  const byteLength = size * BYTES_PER_ELEMENT;
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot create tensor ${label}: shape [${shape.join(", ")}] has no elements`,
        "every dimension must be a positive integer",
      ),
    );
  }
  if (byteLength > device.limits.maxBufferSize) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot create tensor ${label}: ${byteLength} bytes exceed maxBufferSize ${device.limits.maxBufferSize}`,
        "use a smaller model or batch, or a device with a larger maxBufferSize",
      ),
    );
  }
  const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
  const buffer = device.createBuffer({ label, size: roundUp(byteLength, 16), usage });
  return E.right({ _kind: "GpuTensor", label, dtype, shape: [...shape], size, byteLength, buffer });
};

/** Writes `data` into the tensor from element `offset` (default 0). Throws on a dtype or length mismatch. */
export const upload = <D extends DType>(device: GPUDevice, t: GpuTensor<D>, data: ArrayOf<D>, offset = 0): void => {
  const kind = data instanceof Float32Array ? "f32" : data instanceof Int32Array ? "i32" : "u32";
  if (kind !== t.dtype || offset + data.length > t.size) {
    throw new Error(`Cannot upload ${data.length} ${kind} at ${offset} into ${t.label}: it holds ${t.size} ${t.dtype}`);
  }
  // A byte view with a plain ArrayBuffer type: Deno's lib refuses ArrayBufferLike (SharedArrayBuffer).
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>;
  device.queue.writeBuffer(t.buffer, offset * BYTES_PER_ELEMENT, bytes);
};

/** Fills a tensor with one value, e.g. NaN to poison an output before a test. */
export const fill = (device: GPUDevice, t: GpuTensor, value: number): void => {
  const Ctor = t.dtype === "f32" ? Float32Array : t.dtype === "i32" ? Int32Array : Uint32Array;
  device.queue.writeBuffer(t.buffer, 0, new Ctor(t.size).fill(value));
};

/** A view of a byte range of a tensor: whole rows (a BindingSpan) or a run of elements (an ElementSpan). */
export const viewOf = <D extends DType>(
  t: GpuTensor<D>,
  span: Pick<BindingSpan | ElementSpan, "offsetBytes" | "sizeBytes">,
): TensorView<D> => ({
  _kind: "TensorView",
  tensor: t,
  offsetBytes: span.offsetBytes,
  sizeBytes: span.sizeBytes,
});

/**
 * The views a tensor must be bound as on this device: one when it fits a binding, else whole-row
 * pieces. `maxBindingBytes` defaults to the device limit; tests pass a small one.
 */
export const bindingViews = <D extends DType>(
  device: GPUDevice,
  t: GpuTensor<D>,
  rowElements: number,
  maxBindingBytes = device.limits.maxStorageBufferBindingSize,
): readonly { readonly span: BindingSpan; readonly view: TensorView<D> }[] =>
  splitForBinding({
    rows: t.size / rowElements,
    rowElements,
    bytesPerElement: BYTES_PER_ELEMENT,
    maxBindingBytes,
    offsetAlignment: device.limits.minStorageBufferOffsetAlignment,
    rowMultiple: 4, // every view of a weight then gets its Wᵀ (gpu/model/transposed.ts)
  }).map((span) => ({ span, view: viewOf(t, span) }));

/**
 * The largest binding a model's big tensors (weights, Wᵀ, gradients, moments, logits) are bound in:
 * the caller's, clamped to the device's `maxStorageBufferBindingSize`; the device's when not given.
 */
export const bindingLimit = (device: GPUDevice, requested?: number): number =>
  Math.min(requested ?? Infinity, device.limits.maxStorageBufferBindingSize);

/**
 * The element runs a flat tensor is bound as for an element-wise kernel: one when it fits, else runs
 * starting at multiples of `unitElements` (gpu/engine/split.ts splitElements).
 */
export const elementViews = <D extends DType>(
  device: GPUDevice,
  t: GpuTensor<D>,
  unitElements: number,
  maxBindingBytes = device.limits.maxStorageBufferBindingSize,
): readonly { readonly span: ElementSpan; readonly view: TensorView<D> }[] =>
  splitElements({
    elements: t.size,
    unitElements,
    bytesPerElement: BYTES_PER_ELEMENT,
    maxBindingBytes,
    offsetAlignment: device.limits.minStorageBufferOffsetAlignment,
  }).map((span) => ({ span, view: viewOf(t, span) }));

/**
 * A TooLarge error when a tensor of `size` elements cannot be bound as views of whole rows (or, with
 * `flat`, runs of whole units) of `rowElements` within `maxBindingBytes`; else undefined.
 */
export const viewsError = (
  device: GPUDevice,
  label: string,
  size: number,
  rowElements: number,
  maxBindingBytes: number,
  flat = false,
): GpuError | undefined => {
  const offsetAlignment = device.limits.minStorageBufferOffsetAlignment, bytesPerElement = BYTES_PER_ELEMENT;
  const why = flat
    ? unsplittableElements({
      elements: size,
      unitElements: rowElements,
      bytesPerElement,
      maxBindingBytes,
      offsetAlignment,
    })
    : unsplittable({ rows: size / rowElements, rowElements, bytesPerElement, maxBindingBytes, offsetAlignment });
  return why === undefined ? undefined : gpuError(
    "TooLarge",
    `Cannot bind ${label}: ${why}`,
    "one row (or aligned group of rows) must fit a binding: use a device with a larger maxStorageBufferBindingSize, a larger maxBindingBytes, or a narrower model",
  );
};

export const destroyTensor = (t: GpuTensor): void => t.buffer.destroy();
