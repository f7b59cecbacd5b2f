/**
 * Training buffers for one (B, T) shape: the forward activations of every block kept for the
 * backward pass (llm.c's layout), the residual stream, and the backward's scratch.
 * Shapes (N = B·T, Q = NH·D, W = Q + 2·KV, H = F for ungated MLPs (GPT-2, GELU kinds), 2F for SwiGLU's gate|up):
 *   stream[0..L] (N, C); per block: mid, xn1, xn2 (N, C), att (N, Q), qkv (N, W), h (N, H), g (N, F),
 *   mean1, rstd1, mean2, rstd2 (N), lse (B, NH, T); Qwen3's q/k norms: qkNorm.raw (N, W), qkNorm.rstd (N, NH + NKV);
 *   scratch: dA, dB, dmid, dxn (N, C), datt (N, Q), dqkv (N, W), dh (N, H), dg (N, F), delta (B, NH, T);
 *   embedding backward's grouping of rows by token: uniq, start (N + 1), rows (N) i32.
 * The head (final norm, logits chunks, losses, tokens, targets) uses gpu/model/activations.ts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { gatedMlp } from "../../core/model/features.ts";
import { ffnDim, kvDim, type ModelSpec, qDim } from "../../core/model/spec.ts";
import { type Activations, createActivations, destroyActivations, qkNormSizes } from "../model/activations.ts";
import type { GpuError } from "../engine/errors.ts";
import type { BlockBuffers } from "../model/record_forward.ts";
import { createTensor, destroyTensor, type DType, type GpuTensor } from "../engine/tensor.ts";

export interface TrainBuffers {
  readonly acts: Activations;
  readonly stream: ReadonlyArray<GpuTensor<"f32">>;
  readonly blocks: ReadonlyArray<BlockBuffers>;
  readonly d: Readonly<
    Record<"dA" | "dB" | "dmid" | "dxn" | "datt" | "dqkv" | "dh" | "dg" | "delta", GpuTensor<"f32">>
  >;
  readonly uniq: GpuTensor<"i32">;
  readonly start: GpuTensor<"i32">;
  readonly rows: GpuTensor<"i32">;
  readonly all: ReadonlyArray<GpuTensor>;
}

export const createTrainBuffers = (
  device: GPUDevice,
  s: ModelSpec,
  B: number,
  T: number,
  logitBinding: number,
): E.Either<GpuError, TrainBuffers> => {
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  const acts = createActivations(device, s, B, T, false, logitBinding, maxBinding);
  if (E.isLeft(acts)) return acts;
  const N = B * T, C = s.nEmbd, Q = qDim(s), F = ffnDim(s), W = Q + 2 * kvDim(s), H = gatedMlp(s) ? 2 * F : F;
  const made: GpuTensor[] = [];
  const make = <D extends DType>(name: string, n: number, dtype: D): GpuTensor<D> => {
    const t = createTensor(device, `train ${name} ${B}x${T}`, [n], dtype);
    if (E.isLeft(t)) throw t.left;
    made.push(t.right);
    return t.right;
  };
  const f = (name: string, n: number) => make(name, n, "f32");
  try {
    const big = [["(N, W)", N * W], ["(N, H)", N * H]] as const;
    const over = big.find(([, n]) => 4 * n > maxBinding);
    if (over) {
      throw {
        _tag: "GpuFailure",
        kind: "TooLarge",
        message: `Cannot hold a ${over[0]} activation of ${4 * over[1]} bytes for batch ${B} × ${T}`,
        hint: "use a smaller --batch or --ctx",
      };
    }
    const stream = Array.from({ length: s.nLayer + 1 }, (_, k) => f(`stream[${k}]`, N * C));
    const blocks = Array.from({ length: s.nLayer }, (_, i): BlockBuffers => ({
      xin: stream[i]!,
      mid: f(`mid[${i}]`, N * C),
      xout: stream[i + 1]!,
      xn1: f(`xn1[${i}]`, N * C),
      mean1: f(`mean1[${i}]`, N),
      rstd1: f(`rstd1[${i}]`, N),
      qkv: f(`qkv[${i}]`, N * W),
      att: f(`att[${i}]`, N * Q),
      lse: f(`lse[${i}]`, N * s.nHead),
      xn2: f(`xn2[${i}]`, N * C),
      mean2: f(`mean2[${i}]`, N),
      rstd2: f(`rstd2[${i}]`, N),
      h: f(`h[${i}]`, N * H),
      g: f(`g[${i}]`, N * F),
      ...qkNormBuffers(qkNormSizes(s, N), (name, n) => f(`${name}[${i}]`, n)),
    }));
    const d = {
      dA: f("dA", N * C),
      dB: f("dB", N * C),
      dmid: f("dmid", N * C),
      dxn: f("dxn", N * C),
      datt: f("datt", N * Q),
      dqkv: f("dqkv", N * W),
      dh: f("dh", N * H),
      dg: f("dg", N * F),
      delta: f("delta", N * s.nHead),
    };
    return E.right({
      acts: acts.right,
      stream,
      blocks,
      d,
      uniq: make("uniq", N, "i32"),
      start: make("start", N + 1, "i32"),
      rows: make("rows", N, "i32"),
      all: made,
    });
  } catch (e) {
    made.forEach(destroyTensor);
    destroyActivations(acts.right);
    return E.left(e as GpuError);
  }
};

/** A block's q/k norm buffers from their sizes (gpu/model/activations.ts qkNormSizes), none when there are none. */
const qkNormBuffers = (
  sizes: ReadonlyArray<number>,
  f: (name: string, n: number) => GpuTensor<"f32">,
): Pick<BlockBuffers, "qkNorm"> =>
  sizes.length === 2 ? { qkNorm: { raw: f("qkNorm.raw", sizes[0]!), rstd: f("qkNorm.rstd", sizes[1]!) } } : {};

export const destroyTrainBuffers = (b: TrainBuffers): void => {
  b.all.forEach(destroyTensor);
  destroyActivations(b.acts);
};

/** The embedding backward's grouping of rows by token (its kernel's input contract). */
export { groupRowsByToken } from "../kernels/embed_backward.ts";
