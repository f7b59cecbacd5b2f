/**
 * The device memory a GPU training run will allocate, computed before anything is allocated, part by
 * part, from the same sizes the allocators use: the weights in the forward kernels' layout
 * (gpu/model/weights.ts: Llama's wqkv and w13 fused, the rotary tables), the kept Wᵀ of every linear
 * weight (gpu/model/transposed.ts), the gradients and AdamW's two moments, the clip's scratch, the
 * activations of each (B, T) shape a run uses (gpu/train/buffers.ts with gpu/model/activations.ts: the
 * residual stream, every block's saved activations, the backward's scratch and the logits in row chunks)
 * and a teacher's weights, Wᵀ and forward activations when distilling. Every buffer is rounded up to 16
 * bytes as createTensor does. props/gpu/memory_plan.test.ts checks the total against what a trainer
 * really allocates, byte for byte.
 * Shapes: N = B·T, C, Q = NH·D, KV, F, V as in core/model/spec.ts.
 * @module
 */
import { gatedMlp, layerNormKind, rotaryBiases } from "../../core/model/features.ts";
import { ffnDim, headDim, kvDim, type ModelSpec, parallelResidual, qDim, rotaryDims } from "../../core/model/spec.ts";
import { allTensors, numel } from "../../core/model/tensors.ts";
import { rowsPerBinding, splitForBinding } from "../engine/split.ts";
import { SUMSQ_CHUNK } from "../kernels/adamw.ts";
import { qkNormSizes } from "../model/activations.ts";
import { linearWeights } from "../model/transposed.ts";

/** The device limits a plan is made against (a GPUSupportedLimits has them). */
export interface PlanLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly minStorageBufferOffsetAlignment: number;
}

/** One part of the plan: what it is, its bytes, how many buffers, and the largest of them. */
export interface PlanPart {
  readonly part: string;
  readonly bytes: number;
  readonly buffers: number;
  readonly largest: number;
  readonly detail: string;
}

export interface MemoryPlan {
  readonly parts: ReadonlyArray<PlanPart>;
  readonly total: number;
  /** The largest single buffer of the run: it must fit `maxBufferSize`. */
  readonly largest: { readonly part: string; readonly bytes: number };
}

/** The (B, T) shapes a run works on: its micro-batch, and the held-out split's last, shorter batch if any. */
export interface PlanShapes {
  readonly batch: number;
  readonly ctx: number;
  readonly evalTail?: number;
}

const F32 = 4;
const bufferBytes = (elements: number): number => Math.ceil((elements * F32) / 16) * 16; // createTensor's rounding

const part = (name: string, elementCounts: ReadonlyArray<number>, detail: string): PlanPart => {
  const sizes = elementCounts.map(bufferBytes);
  return {
    part: name,
    bytes: sizes.reduce((a, b) => a + b, 0),
    buffers: sizes.length,
    largest: Math.max(0, ...sizes),
    detail,
  };
};

/** Element counts of the device weights, one per buffer (the layout of gpu/model/weights.ts deviceArrays). */
export const deviceWeightSizes = (s: ModelSpec): { readonly trainable: number[]; readonly fixed: number[] } => {
  const globals = allTensors(s).filter((t) => !t.name.startsWith("h.")).map((t) => numel(t.shape));
  const C = s.nEmbd, F = ffnDim(s), Q = qDim(s), KV = kvDim(s), up = gatedMlp(s) ? 2 * F : F;
  const perBlock = s._tag === "gpt2"
    ? allTensors({ ...s, nLayer: 1 }).filter((t) => t.name.startsWith("h.0.")).map((t) => numel(t.shape))
    : [C, Q * C, ...ffnNorm(s, C), F * C, ...qkNormGains(s), (Q + 2 * KV) * C, up * C, ...rotaryBiasSizes(s)]; // attnnorm, wo, ffnnorm, w2, (qnorm, knorm,) wqkv, w13 or w1
  const blocks = Array.from({ length: s.nLayer }, () => perBlock).flat();
  const rope = s._tag === "llama" ? [1, 1].map(() => s.blockSize * (rotaryDims(s) / 2)) : []; // cos, sin (P, R/2)
  return { trainable: [...globals, ...blocks], fixed: rope };
};

/** The MLP's own norm (gain or bias, C each): none under Phi-2's parallelShared residual. */
const ffnNorm = (s: ModelSpec, C: number): number[] => (parallelResidual(s) === "parallelShared" ? [] : [C]);

/** A rotary block's bias buffers (gpu/model/weights.ts rotaryBlockBiases): norm biases, bqkv, bo, b13 or b1, b2. */
const rotaryBiasSizes = (s: ModelSpec): number[] => {
  const C = s.nEmbd, F = ffnDim(s), b = rotaryBiases(s);
  return [
    ...(layerNormKind(s) ? [C, ...ffnNorm(s, C)] : []),
    ...(b.qkv ? [qDim(s) + 2 * kvDim(s)] : []),
    ...(b.out ? [C] : []),
    ...(b.mlp ? [gatedMlp(s) ? 2 * F : F, C] : []),
  ];
};

/** Qwen3's qnorm and knorm gains (D each), or none. */
const qkNormGains = (
  s: ModelSpec,
): number[] => (s._tag === "llama" && s.qkNorm === true ? [headDim(s), headDim(s)] : []);

/** Wᵀ of each binding view of each linear weight whose rows and first row are multiples of 4. */
const transposeSizes = (s: ModelSpec, l: PlanLimits, maxBinding: number): number[] =>
  linearWeights(s).flatMap(({ name, I }) => {
    const rows = numelOf(s, name) / I;
    return splitForBinding({
      rows,
      rowElements: I,
      bytesPerElement: F32,
      maxBindingBytes: maxBinding,
      offsetAlignment: l.minStorageBufferOffsetAlignment,
      rowMultiple: 4, // as gpu/engine/tensor.ts bindingViews
    }).filter((v) => v.rows % 4 === 0 && v.firstRow % 4 === 0).map((v) => v.rows * I);
  });

/** Elements of a device weight by its device name (fused names included). */
const numelOf = (s: ModelSpec, name: string): number => {
  const C = s.nEmbd, m = /^h\.\d+\.(wqkv|w13)$/.exec(name);
  if (m?.[1] === "wqkv") return (qDim(s) + 2 * kvDim(s)) * C;
  if (m?.[1] === "w13") return 2 * ffnDim(s) * C;
  const t = allTensors(s).find((x) => x.name === name);
  if (t === undefined) throw new Error(`Cannot plan memory: no weight ${name} in the spec`);
  return numel(t.shape);
};

/** gpu/model/activations.ts for one shape: the forward's buffers, logits in chunks of whole rows. */
const forwardActivationSizes = (s: ModelSpec, B: number, T: number, maxBinding: number): number[] => {
  const N = B * T, C = s.nEmbd, F = ffnDim(s), V = s.vocabSize;
  const W = qDim(s) + 2 * kvDim(s), H = gatedMlp(s) ? 2 * F : F;
  const per = Math.min(
    N,
    rowsPerBinding({ rows: N, rowElements: V, bytesPerElement: F32, maxBindingBytes: maxBinding, offsetAlignment: 4 }),
  );
  const chunks = per === 0 ? [] : Array.from({ length: Math.ceil(N / per) }, (_, i) => Math.min(per, N - i * per) * V);
  // x x2 xn att qkv h g mean rstd lse losses, the logits chunks, tokens, targets
  return [
    N * C,
    N * C,
    N * C,
    N * qDim(s),
    N * W,
    N * H,
    N * F,
    N,
    N,
    N * s.nHead,
    N,
    ...chunks,
    N,
    N,
    ...qkNormSizes(s, N),
  ];
};

/** gpu/train/buffers.ts for one shape, beyond the forward's: the stream, saved activations, backward scratch. */
const trainActivationSizes = (s: ModelSpec, B: number, T: number): number[] => {
  const N = B * T, C = s.nEmbd, Q = qDim(s), F = ffnDim(s), W = Q + 2 * kvDim(s);
  const H = gatedMlp(s) ? 2 * F : F, NH = s.nHead;
  const stream = Array.from({ length: s.nLayer + 1 }, () => N * C);
  // mid xn1 mean1 rstd1 qkv att lse xn2 mean2 rstd2 h g
  const block = [N * C, N * C, N, N, N * W, N * Q, N * NH, N * C, N, N, N * H, N * F, ...qkNormSizes(s, N)];
  const blocks = Array.from({ length: s.nLayer }, () => block).flat();
  const scratch = [N * C, N * C, N * C, N * C, N * Q, N * W, N * H, N * F, N * NH]; // dA dB dmid dxn datt dqkv dh dg delta
  return [...stream, ...blocks, ...scratch, N, N + 1, N]; // uniq, start, rows
};

const shapesOf = (sh: PlanShapes): ReadonlyArray<readonly [number, number]> =>
  sh.evalTail === undefined || sh.evalTail === sh.batch
    ? [[sh.batch, sh.ctx]]
    : [[sh.batch, sh.ctx], [sh.evalTail, sh.ctx]];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The plan of a GPU training run of `s` on micro-batches of `shapes`, split for bindings of at most
 * `maxBinding` bytes (default: the device's), with an optional teacher (distillation).
 */
export const trainingMemoryPlan = (
  s: ModelSpec,
  shapes: PlanShapes,
  l: PlanLimits,
  teacher?: ModelSpec,
  maxBinding = l.maxStorageBufferBindingSize,
): MemoryPlan => {
  const w = deviceWeightSizes(s), n = w.trainable.reduce((a, b) => a + b, 0);
  const partials = w.trainable.reduce((k, x) => k + Math.ceil(x / SUMSQ_CHUNK), 0);
  const each = shapesOf(shapes);
  const parts: PlanPart[] = [
    part("weights", [...w.trainable, ...w.fixed], `${n.toLocaleString("en-US")} parameters in f32`),
    part("kept transposes", transposeSizes(s, l, maxBinding), "Wᵀ of every linear weight, for the fast forward"),
    part("gradients", w.trainable, "one per weight"),
    part("AdamW moments", [...w.trainable, ...w.trainable], "m and v"),
    part("optimizer scratch", [4, partials, 2], "the clip's partial sums of g²"),
    ...each.map(([B, T]) => {
      const sizes = [...forwardActivationSizes(s, B, T, maxBinding), ...trainActivationSizes(s, B, T)];
      const bytes = sizes.reduce((a, x) => a + bufferBytes(x), 0);
      return part(`activations ${B}×${T}`, sizes, `saved for the backward; ${mib(bytes / B)} per sequence`);
    }),
    ...(teacher === undefined ? [] : teacherParts(teacher, [shapes.batch, shapes.ctx], l, maxBinding)),
  ];
  const largest = parts.reduce((a, p) => (p.largest > a.bytes ? { part: p.part, bytes: p.largest } : a), {
    part: "",
    bytes: 0,
  });
  return { parts, total: parts.reduce((a, p) => a + p.bytes, 0), largest };
};

/** A frozen teacher: its weights and Wᵀ (no gradients, no moments) and its forward's activations (training shape only). */
const teacherParts = (
  t: ModelSpec,
  [B, T]: readonly [number, number],
  l: PlanLimits,
  maxBinding: number,
): PlanPart[] => {
  const w = deviceWeightSizes(t);
  return [
    part("teacher weights", [...w.trainable, ...w.fixed, 4], "the frozen reference distilled from"),
    part("teacher transposes", transposeSizes(t, l, maxBinding), "its Wᵀ"),
    part("teacher activations", forwardActivationSizes(t, B, T, maxBinding), "its forward"),
  ];
};
