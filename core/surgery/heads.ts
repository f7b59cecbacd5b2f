/**
 * Attention heads as well as depth (Minitron, Muralidharan et al. 2024; weight subcloning, Samragh
 * et al. 2023): keep, in every inherited block, the h query heads with the largest importance — the
 * mean |attention output| of the head (before the output projection) on a calibration sample — and
 * slice the matrices consistently. Heads keep their width D and their order; the spec gets an
 * explicit head size (core/model/spec.ts headSize), so the attention width Q = h·D falls below C.
 * - MHA (GPT-2, and Llama with NKV = NH): a head's q, k and v rows and its output-projection columns
 *   go together. GPT-2's fused qkvw is (3Q, C) with rows q | k | v (core/model/tensors.ts); qkvb alike.
 * - GQA (Llama, NKV < NH): every kv head stays and each group keeps h / NKV of its query heads (its
 *   most important), so query head j of the result still reads kv head ⌊j / (h / NKV)⌋.
 * q/k/v biases (bq, bk, bv) lose the same entries as their matrices' rows.
 * Rotary embedding works per head on positions and D alone, so it needs nothing. With h = NH it is
 * the identity. Pure.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import { rotaryBiases } from "../model/features.ts";
import { headDim, kvHeads, type ModelSpec, qDim } from "../model/spec.ts";
import { blockName, unsafeTensor, type Weights } from "../model/tensors.ts";
import { calibrationPass, keepColumns, keepRows, keepUnits } from "./width.ts";

/** Whether query heads share kv heads (GQA): then every kv head is kept. */
const grouped = (s: ModelSpec): boolean => kvHeads(s) < s.nHead;

const badCount = (s: ModelSpec, h: number): AppError =>
  grouped(s)
    ? appError(
      "BadPlan",
      `Cannot keep ${h} of ${s.nHead} query heads per block: each of the ${kvHeads(s)} kv heads serves ${
        s.nHead / kvHeads(s)
      } of them, and every group must keep the same number`,
      `give --heads as a multiple of ${kvHeads(s)} between ${kvHeads(s)} and ${s.nHead}`,
    )
    : appError(
      "BadPlan",
      `Cannot keep ${h} of ${s.nHead} attention heads per block`,
      `give --heads between 1 and ${s.nHead}`,
    );

/** Per block, the heads to keep given importances (L) × (NH): the h largest, per kv group under GQA; ascending. */
export const chooseHeads = (
  s: ModelSpec,
  importance: ReadonlyArray<ArrayLike<number>>,
  h: number,
): E.Either<AppError, number[][]> => {
  const NKV = kvHeads(s), group = s.nHead / NKV;
  if (!Number.isInteger(h) || h < 1 || h > s.nHead || (grouped(s) && h % NKV !== 0)) return E.left(badCount(s, h));
  if (!grouped(s)) return E.right(importance.map((imp) => keepUnits(imp, h)));
  return E.right(
    importance.map((imp) =>
      Array.from(
        { length: NKV },
        (_, g) => keepUnits(Array.from(imp).slice(g * group, (g + 1) * group), h / NKV).map((u) => g * group + u),
      ).flat()
    ),
  );
};

/** Whether `keep` lists h distinct heads per block, each (under GQA) in the kv group its new index reads. */
const validKeep = (s: ModelSpec, keep: ReadonlyArray<ReadonlyArray<number>>, h: number): boolean => {
  const NKV = kvHeads(s), group = s.nHead / NKV;
  if (keep.length !== s.nLayer || h < 1 || h > s.nHead || (grouped(s) && h % NKV !== 0)) return false;
  return keep.every((k) =>
    k.length === h && new Set(k).size === h &&
    k.every((u, j) =>
      Number.isInteger(u) && u >= 0 && u < s.nHead &&
      (!grouped(s) || Math.floor(u / group) === Math.floor(j / (h / NKV)))
    )
  );
};

/** Rows (or columns) h·D .. h·D + D − 1 of every listed head, plus `offset`. */
const headLanes = (heads: ReadonlyArray<number>, D: number, offset = 0): number[] =>
  heads.flatMap((h) => Array.from({ length: D }, (_, d) => offset + h * D + d));

/** The spec and weights with every block's attention narrowed to the query heads `keep[i]` lists (h each). */
export const narrowHeads = (
  s: ModelSpec,
  w: Weights,
  keep: ReadonlyArray<ReadonlyArray<number>>,
): E.Either<AppError, { spec: ModelSpec; weights: Weights }> => {
  const h = keep[0]?.length ?? 0, C = s.nEmbd, D = headDim(s), Q = qDim(s);
  if (!validKeep(s, keep, h)) return E.left(badCount(s, h));
  const out: Record<string, Float32Array> = { ...w };
  keep.forEach((k, i) => {
    const t = (n: string) => unsafeTensor(w, blockName(i, n)),
      put = (n: string, a: Float32Array) => (out[blockName(i, n)] = a);
    const lanes = headLanes(k, D);
    if (s._tag === "gpt2") {
      const qkv = [...lanes, ...headLanes(k, D, Q), ...headLanes(k, D, 2 * Q)]; // q | k | v rows of the kept heads
      put("qkvw", keepRows(t("qkvw"), C, qkv));
      put("qkvb", Float32Array.from(qkv, (r) => t("qkvb")[r]!));
      put("attprojw", keepColumns(t("attprojw"), C, Q, lanes));
    } else {
      const entries = (n: string) => put(n, Float32Array.from(lanes, (r) => t(n)[r]!));
      put("wq", keepRows(t("wq"), C, lanes));
      if (!grouped(s)) (["wk", "wv"] as const).forEach((n) => put(n, keepRows(t(n), C, lanes)));
      if (rotaryBiases(s).qkv) (grouped(s) ? ["bq"] : ["bq", "bk", "bv"]).forEach(entries);
      put("wo", keepColumns(t("wo"), C, Q, lanes));
    }
  });
  return E.right({ spec: prunedSpec(s, h), weights: out });
};

/** The spec with h of its heads, each still D wide: unchanged at h = NH; under MHA the kv heads go too. */
export const prunedSpec = (s: ModelSpec, h: number): ModelSpec => {
  if (h === s.nHead) return s;
  const D = headDim(s);
  return s._tag === "gpt2"
    ? { ...s, nHead: h, headSize: D }
    : { ...s, nHead: h, headSize: D, nKvHead: grouped(s) ? s.nKvHead : h };
};

/** Mean |attention output| of every head of every block (before the projection) on B sequences of T tokens: (L) × (NH). */
export const headImportance = (s: ModelSpec, w: Weights, tokens: Int32Array, B: number, T: number): number[][] => {
  const NH = s.nHead, D = headDim(s), Q = qDim(s), n = B * T * D;
  return calibrationPass(s, w, tokens, B, T, ({ att }) => {
    const imp = new Array<number>(NH).fill(0);
    for (let r = 0; r < att.length; r += Q) {
      for (let h = 0; h < NH; h++) for (let d = 0; d < D; d++) imp[h]! += Math.abs(att[r + h * D + d]!) / n;
    }
    return imp;
  });
};
