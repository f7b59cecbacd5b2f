/**
 * Wᵀ for every linear weight the forward multiplies by, kept beside W: the fast linear kernels
 * (gpu/kernels/matmul/matmul_vec4.ts, matmul_tiled.ts) read B row-major with the outputs along its rows.
 * One (I, rows) tensor per binding view of W (gpu/engine/tensor.ts bindingViews), for the views whose
 * rows and first row are multiples of 4; the others keep using the scalar kernel on W.
 * W stays the master copy (AdamW updates it); recordTransposes re-derives every Wᵀ from it.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { ffnDim, type ModelSpec, qDim } from "../../core/model/spec.ts";
import type { Batch } from "../engine/batch.ts";
import type { GpuError } from "../engine/errors.ts";
import type { ForwardKernels } from "./forward_kernels.ts";
import { blockWeightNames, type DeviceWeights, headWeightNames } from "./weights.ts";
import {
  bindingViews,
  createTensor,
  destroyTensor,
  type GpuTensor,
  type TensorView,
  viewsError,
} from "../engine/tensor.ts";

/** By weight name, one entry per binding view of W: its Wᵀ, or undefined where the scalar kernel serves. */
export type TransposedWeights = Readonly<Record<string, ReadonlyArray<GpuTensor<"f32"> | undefined>>>;

/** The linear weights of the forward pass and their input widths I (W is (O, I)). */
export const linearWeights = (s: ModelSpec): ReadonlyArray<{ readonly name: string; readonly I: number }> => [
  ...Array.from({ length: s.nLayer }, (_, i) => {
    const wn = blockWeightNames(s, i);
    return [{ name: wn.qkv, I: s.nEmbd }, { name: wn.proj, I: qDim(s) }, { name: wn.up, I: s.nEmbd }, {
      name: wn.down,
      I: ffnDim(s),
    }];
  }).flat(),
  { name: headWeightNames(s).head, I: s.nEmbd },
];

interface Piece {
  readonly view: TensorView<"f32">;
  readonly rows: number;
  readonly I: number;
  readonly wt: GpuTensor<"f32"> | undefined;
}

const pieces = (
  device: GPUDevice,
  w: GpuTensor<"f32">,
  I: number,
  maxBinding: number,
  make: (rows: number) => GpuTensor<"f32"> | undefined,
): Piece[] =>
  bindingViews(device, w, I, maxBinding).map(({ span, view }) => ({
    view,
    rows: span.rows,
    I,
    wt: span.rows % 4 === 0 && span.firstRow % 4 === 0 ? make(span.rows) : undefined,
  }));

/**
 * A TooLarge error when a weight bound in row views (every linear W, and wte, whose rows the
 * embedding looks up) has a row, or aligned group of rows, larger than `maxBinding`.
 */
export const weightViewsError = (
  device: GPUDevice,
  s: ModelSpec,
  w: DeviceWeights,
  maxBinding: number,
): GpuError | undefined =>
  [...linearWeights(s), { name: "wte", I: s.nEmbd }].map(({ name, I }) =>
    viewsError(device, `weight ${name}`, w[name]!.size, I, maxBinding)
  ).find((e) => e !== undefined);

/** Wᵀ pieces for every linear weight; a Left when a weight cannot be split for `maxBinding` or a piece not made. */
export const createTransposed = (
  device: GPUDevice,
  s: ModelSpec,
  w: DeviceWeights,
  maxBinding: number,
): E.Either<GpuError, TransposedWeights> => {
  const unbindable = weightViewsError(device, s, w, maxBinding);
  if (unbindable !== undefined) return E.left(unbindable);
  const out: Record<string, Array<GpuTensor<"f32"> | undefined>> = {};
  const made: GpuTensor[] = [];
  for (const { name, I } of linearWeights(s)) {
    let failed: E.Left<GpuError> | undefined;
    const ps = pieces(device, w[name]!, I, maxBinding, (rows) => {
      const t = createTensor(device, `transposed ${name}`, [I, rows], "f32");
      if (E.isLeft(t)) {
        failed = t;
        return undefined;
      }
      made.push(t.right);
      return t.right;
    });
    if (failed !== undefined) return (made.forEach(destroyTensor), failed);
    out[name] = ps.map((p) => p.wt);
  }
  return E.right(out);
};

/** Records Wᵀ ← W for every transposed piece. */
export const recordTransposes = (
  device: GPUDevice,
  k: ForwardKernels,
  s: ModelSpec,
  w: DeviceWeights,
  wt: TransposedWeights,
  maxBinding: number,
  batch: Batch,
): void => {
  for (const { name, I } of linearWeights(s)) {
    const have = wt[name] ?? [];
    pieces(device, w[name]!, I, maxBinding, () => undefined).forEach((p, idx) => {
      const t = have[idx];
      if (t !== undefined) batch.dispatch(k.transpose, { w: p.view, wt: t }, { R: p.rows, I });
    });
  }
};

export const destroyTransposed = (wt: TransposedWeights): void =>
  Object.values(wt).forEach((ts) => ts.forEach((t) => t && destroyTensor(t)));
