/**
 * Width as well as depth (the paper's named limitation; Minitron, weight subcloning): keep, in
 * every inherited block, the f feed-forward units with the largest importance — the mean |activation|
 * of the unit (GELU output, or SwiGLU's silu(gate)·up) on a calibration sample — and slice the
 * matrices consistently: GPT-2 fcw/fcb rows and fcprojw columns; Llama w1, w3 rows and w2 columns (and the
 * b1, b3 entries of MLP biases; an ungated MLP has no w3).
 * Units keep their original order. With f = F it is the identity. Pure. Heads: core/surgery/heads.ts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { blockForwardSaved, type BlockSaved } from "../model/block_backward.ts";
import { type AppError, appError } from "../errors.ts";
import { embed } from "../ops/embed.ts";
import { gatedMlp, rotaryBiases } from "../model/features.ts";
import { ffnDim, type ModelSpec } from "../model/spec.ts";
import { blockName, unsafeTensor, type Weights } from "../model/tensors.ts";

/** The f most important units (ties to the lower index), in ascending order. */
export const keepUnits = (importance: ArrayLike<number>, f: number): number[] =>
  Array.from(importance, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, f).map((p) =>
    p[1]
  ).sort((a, b) => a - b);

/** The rows `keep` lists of a (·, cols) matrix, in that order: (keep.length, cols). */
export const keepRows = (a: Float32Array, cols: number, keep: ReadonlyArray<number>): Float32Array => {
  const out = new Float32Array(keep.length * cols);
  keep.forEach((r, k) => out.set(a.subarray(r * cols, (r + 1) * cols), k * cols));
  return out;
};
/** The columns `keep` lists of an (nRows, cols) matrix, in that order: (nRows, keep.length). */
export const keepColumns = (
  a: Float32Array,
  nRows: number,
  cols: number,
  keep: ReadonlyArray<number>,
): Float32Array => {
  const out = new Float32Array(nRows * keep.length);
  for (let r = 0; r < nRows; r++) keep.forEach((c, k) => (out[r * keep.length + k] = a[r * cols + c]!));
  return out;
};

/** The spec and weights with every block's MLP narrowed to the units `keep[i]` lists (f each). */
export const narrowFfn = (
  s: ModelSpec,
  w: Weights,
  keep: ReadonlyArray<ReadonlyArray<number>>,
): E.Either<AppError, { spec: ModelSpec; weights: Weights }> => {
  const F = ffnDim(s), f = keep[0]?.length ?? 0, C = s.nEmbd;
  if (
    keep.length !== s.nLayer || f < 1 || f > F ||
    keep.some((k) => k.length !== f || k.some((u) => !Number.isInteger(u) || u < 0 || u >= F) || new Set(k).size !== f)
  ) {
    return E.left(
      appError(
        "BadPlan",
        `Cannot keep ${f} feed-forward units per block: each of the ${s.nLayer} blocks needs f distinct units in 0..${
          F - 1
        }`,
        `give --ffn between 1 and ${F}`,
      ),
    );
  }
  const out: Record<string, Float32Array> = { ...w };
  keep.forEach((k, i) => {
    const t = (n: string) => unsafeTensor(w, blockName(i, n)),
      put = (n: string, a: Float32Array) => (out[blockName(i, n)] = a);
    if (s._tag === "gpt2") {
      put("fcw", keepRows(t("fcw"), C, k));
      put("fcb", Float32Array.from(k, (u) => t("fcb")[u]!));
      put("fcprojw", keepColumns(t("fcprojw"), C, F, k));
    } else {
      const entries = (n: string) => put(n, Float32Array.from(k, (u) => t(n)[u]!));
      put("w1", keepRows(t("w1"), C, k));
      if (gatedMlp(s)) put("w3", keepRows(t("w3"), C, k));
      put("w2", keepColumns(t("w2"), C, F, k));
      if (rotaryBiases(s).mlp) (gatedMlp(s) ? ["b1", "b3"] : ["b1"]).forEach(entries);
    }
  });
  const spec: ModelSpec = s._tag === "gpt2" ? { ...s, nInner: f } : { ...s, hiddenDim: f };
  return E.right({ spec, weights: out });
};

/**
 * The calibration walk (Minitron): block i's saved forward (core/model/block_backward.ts) on B sequences of
 * T tokens, the residual (B·T, C) carried from block to block, read by `read` as it goes: (L) × R.
 */
export const calibrationPass = <R>(
  s: ModelSpec,
  w: Weights,
  tokens: Int32Array,
  B: number,
  T: number,
  read: (saved: BlockSaved<Float32Array>) => R,
): R[] => {
  const N = B * T, C = s.nEmbd;
  let x: Float32Array = new Float32Array(N * C);
  for (let b = 0; b < B; b++) x.set(embed(s, w, tokens.subarray(b * T, (b + 1) * T), 0), b * T * C);
  return Array.from({ length: s.nLayer }, (_, i) => {
    const { y, saved } = blockForwardSaved(s, w, i, x, { B, T, N });
    x = y;
    return read(saved);
  });
};

/** Mean |activation| of every feed-forward unit of every block on B sequences of T tokens: (L) × (F). */
export const ffnImportance = (s: ModelSpec, w: Weights, tokens: Int32Array, B: number, T: number): number[][] => {
  const N = B * T, F = ffnDim(s);
  return calibrationPass(s, w, tokens, B, T, ({ act }) => {
    const imp = new Array<number>(F).fill(0);
    for (let n = 0; n < N; n++) for (let u = 0; u < F; u++) imp[u]! += Math.abs(act[n * F + u]!) / N;
    return imp;
  });
};
