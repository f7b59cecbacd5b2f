/**
 * CPU reference backward pass: a batch's mean cross-entropy and its gradient for every tensor,
 * written from the math as the oracle the GPU backward kernels are tested against (llm.c's
 * train_gpt2.c plays the same part). Plain on purpose: no fusion, sums in float64 per op.
 * The forward half mirrors core/model/forward.ts op for op, so the loss equals
 * meanCrossEntropy(forward(...).logits) bit for bit. Runs in f32 or float64 (core/model/floats.ts).
 * Shapes: tokens and targets (B, T) int32, every sequence at positions 0..T−1; N = B·T rows;
 * residual (N, C); logits (N, V). Gradients have the names and shapes of allTensors(spec).
 * @module
 */
import { blockBackward, blockForwardSaved, type BlockSaved, type GradSink, normBackward } from "./block_backward.ts";
import { alloc, type Floats, type FloatWeights, unsafeTensorOf } from "./floats.ts";
import { headBias, headMatrix, norm } from "./forward.ts";
import { embed, scaleValues } from "../ops/embed.ts";
import { embeddingBackward, positionBackward } from "../ops/embed_backward.ts";
import { linear } from "../ops/matmul/matmul.ts";
import { linearBackward } from "../ops/matmul/matmul_backward.ts";
import { meanCrossEntropy } from "../ops/cross_entropy.ts";
import { crossEntropyBackward } from "../ops/cross_entropy_backward.ts";
import { type Distill, distillLossAndGrad } from "../ops/distill.ts";
import { embedScaleOf, isTied, type ModelSpec } from "./spec.ts";
import { allTensors } from "./tensors.ts";

export interface LossAndGrads<A extends Floats = Float32Array> {
  readonly loss: number; // mean cross-entropy over the B·T positions (the mixed loss when distilling)
  readonly grads: FloatWeights<A>; // d loss / d tensor, by tensor name
}

/** Embeddings of B sequences of T tokens, each at positions 0..T−1: (N, C). */
const embedBatch = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  tokens: Int32Array,
  B: number,
  T: number,
): A => {
  const x = alloc(unsafeTensorOf(w, "wte"), B * T * s.nEmbd);
  for (let b = 0; b < B; b++) x.set(embed(s, w, tokens.subarray(b * T, (b + 1) * T), 0), b * T * s.nEmbd);
  return x;
};

/** The gradients in allTensors order; a tensor the backward never reached is a broken invariant. */
const ordered = <A extends Floats>(s: ModelSpec, g: GradSink<A>): FloatWeights<A> =>
  Object.fromEntries(
    allTensors(s).map((t) => {
      const a = g[t.name];
      if (a === undefined) throw new Error(`Cannot return gradients: the backward never reached ${t.name}`);
      return [t.name, a];
    }),
  );

/** A frozen reference's logits (N, V) for the same tokens, and how to mix them in (core/ops/distill.ts). */
export interface SoftTargets {
  readonly logits: Floats;
  readonly kd: Distill;
}

export const lossAndGrads = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  tokens: Int32Array,
  targets: Int32Array,
  B: number,
  T: number,
  soft?: SoftTargets,
): LossAndGrads<A> => {
  const C = s.nEmbd, V = s.vocabSize, d = { B, T, N: B * T }, N = d.N;
  // Forward, keeping each block's activations.
  let x = embedBatch(s, w, tokens, B, T);
  const saved: BlockSaved<A>[] = [];
  for (let i = 0; i < s.nLayer; i++) {
    const r = blockForwardSaved(s, w, i, x, d);
    saved.push(r.saved);
    x = r.y;
  }
  const xf = norm(s, w, "final", x, N), head = headMatrix(s, w);
  const logits = linear(xf, head, headBias(s, w), N, C, V);
  const top = soft === undefined
    ? { loss: meanCrossEntropy(logits, targets, N, V), dz: crossEntropyBackward(logits, targets, N, V, 1 / N) }
    : distillLossAndGrad(logits, soft.logits, targets, N, V, soft.kd, 1 / N);
  // Backward: loss → head → final norm → blocks L−1..0 → embeddings.
  const g: GradSink<A> = {};
  const dhead = linearBackward(top.dz, xf, head, N, C, V);
  let dx = normBackward(s, w, "final", dhead.dx, x, N, g);
  for (let i = s.nLayer - 1; i >= 0; i--) dx = blockBackward(s, w, i, saved[i]!, dx, d, g);
  if (!isTied(s)) g["lmhead"] = dhead.dw;
  if (headBias(s, w) !== undefined) g["lmheadb"] = dhead.db;
  // a tied head's gradient adds into wte; Gemma's √C scaling of the embedding scales its gradient too
  g["wte"] = embeddingBackward(scaleValues(dx, embedScaleOf(s)), tokens, V, C, isTied(s) ? dhead.dw : undefined);
  if (s._tag === "gpt2") g["wpe"] = positionBackward(dx, B, T, s.blockSize, C);
  return { loss: top.loss, grads: ordered(s, g) };
};
