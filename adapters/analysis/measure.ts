/**
 * Measuring a model's blocks on held-out text (core/surgery/diagnostics.ts): the residual stream and the
 * early exits on the GPU when a kernel cache is given (the CPU reference otherwise), the attention
 * matrices of each block on the CPU reference from the same stream, their singular values through
 * adapters/analysis/attention_rank.ts. Windows: `sequences` evenly spaced windows of T tokens (the paper:
 * about 100 sequences of 100 tokens).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { TokenArray } from "../../core/train/batches.ts";
import {
  attentionMatrices,
  blockInfluence,
  type BlockReport,
  summariseAttention,
} from "../../core/surgery/diagnostics.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { forward, headLogits } from "../../core/model/forward.ts";
import { meanCrossEntropy } from "../../core/ops/cross_entropy.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { KernelCache } from "../../gpu/engine/compile.ts";
import type { KernelProfile } from "../../gpu/kernels/profile.ts";
import { createGpuModel } from "../../gpu/model/model.ts";
import { singularValues } from "./attention_rank.ts";

/** A kernel cache and the kernel family to compile from it. */
export interface GpuBackend {
  readonly kernels: KernelCache;
  readonly profile: KernelProfile;
}

export interface AnalysisOptions {
  readonly sequences: number;
  readonly T: number;
}

/** Evenly spaced windows of T + 1 tokens: inputs and next-token targets, (B·T) each. */
const windows = (val: TokenArray, B: number, T: number) => {
  const tokens = new Int32Array(B * T),
    targets = new Int32Array(B * T),
    gap = Math.floor((val.length - T - 1) / Math.max(1, B - 1));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      tokens[b * T + t] = val[b * gap + t]!;
      targets[b * T + t] = val[b * gap + t + 1]!;
    }
  }
  return { tokens, targets };
};

/** The stream (L + 1 of (B·T, C)) and the early-exit logits after each block. */
const streamAndExits = async (
  s: ModelSpec,
  w: Weights,
  tokens: Int32Array,
  B: number,
  T: number,
  gpu: GpuBackend | undefined,
) => {
  if (gpu === undefined) {
    const st = forward(s, w, tokens, B, T, { stream: true }).stream!, C = s.nEmbd, V = s.vocabSize;
    const exits = st.slice(1).map((x) => {
      const out = new Float32Array(B * T * V);
      for (let b = 0; b < B; b++) out.set(headLogits(s, w, x.subarray(b * T * C, (b + 1) * T * C)), b * T * V);
      return out;
    });
    return E.right({ stream: st, exits });
  }
  const m = await createGpuModel(gpu.kernels, s, w, { profile: gpu.profile })();
  if (E.isLeft(m)) return m;
  try {
    const f = await m.right.forward(tokens, B, T, { stream: true })();
    if (E.isLeft(f)) return f;
    const exits: Float32Array[] = [];
    for (const x of f.right.stream!.slice(1)) {
      const l = await m.right.headLogits(x, B, T)();
      if (E.isLeft(l)) return l;
      exits.push(l.right);
    }
    return E.right({ stream: f.right.stream!, exits });
  } finally {
    m.right.destroy();
  }
};

export const analyzeBlocks = async (
  s: ModelSpec,
  w: Weights,
  val: TokenArray,
  o: AnalysisOptions,
  gpu?: GpuBackend,
): Promise<E.Either<AppError, ReadonlyArray<BlockReport>>> => {
  const T = Math.min(o.T, s.blockSize), B = Math.min(o.sequences, Math.floor((val.length - 1) / (T + 1)));
  if (B < 1) {
    return E.left(
      appError(
        "BadInput",
        `Cannot analyse on ${val.length} held-out tokens: one window needs ${T + 1}`,
        "use a larger corpus or a smaller --ctx",
      ),
    );
  }
  const { tokens, targets } = windows(val, B, T);
  const se = await streamAndExits(s, w, tokens, B, T, gpu);
  if (E.isLeft(se)) return se;
  const { stream, exits } = se.right;
  return E.right(Array.from({ length: s.nLayer }, (_, k) => ({
    block: k,
    ...summariseAttention(attentionMatrices(s, w, k, stream[k]!, B, T), s.nHead, T, singularValues),
    influence: blockInfluence(stream[k]!, stream[k + 1]!, s.nEmbd),
    earlyExitLoss: meanCrossEntropy(exits[k]!, targets, B * T, s.vocabSize),
  })));
};
