/**
 * The three configurations the bench trains (issue 7): the inherited stories260K target (its
 * first 3 blocks, Llama family) at batch 16 × 256, and two GPT-2 style models at batch 8 whose
 * shapes the tfjs peer copies (bench/peer_tfjs.ts). GPT-2 weights are N(0, 0.02) as in nanoGPT;
 * the numbers do not depend on them.
 * Also the FLOP counts for MFU: 6·P + 12·L·C·T per trained token (PaLM appendix B, P the matmul
 * parameters including the LM head), 2·P + 4·L·C·T per forward token.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { fileURLToPath } from "node:url";
import { loadLlama2c } from "../adapters/formats/llama2c.ts";
import type { AppError } from "../core/errors.ts";
import { inheritWeights, planInheritance } from "../core/surgery/plan.ts";
import { ffnDim, type Gpt2Spec, kvDim, type ModelSpec } from "../core/model/spec.ts";
import { allTensors, numel, type Weights } from "../core/model/tensors.ts";

export interface BenchConfig {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly weights: Weights;
  readonly B: number;
  readonly T: number;
  /** GPT-2 style: the tfjs peer trains the same model. */
  readonly peer: boolean;
}

const STORIES = new URL("../assets/stories260K/stories260K.bin", import.meta.url);

const gpt2 = (nLayer: number, nEmbd: number, blockSize: number): Gpt2Spec => ({
  _tag: "gpt2",
  nLayer,
  nEmbd,
  nHead: nEmbd / 32,
  vocabSize: 512,
  blockSize,
  nInner: 4 * nEmbd,
  normEps: 1e-5,
});

/** nanoGPT's init: N(0, 0.02) matrices and embeddings, unit gains, zero biases. */
export const initWeights = (s: ModelSpec): Weights =>
  Object.fromEntries(
    allTensors(s).map(({ name, shape }) => {
      const a = new Float32Array(numel(shape));
      if (shape.length >= 2) {
        for (let i = 0; i < a.length; i++) {
          a[i] = 0.02 * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
        }
      } else if (/(ln\dw|lnfw|norm)$/.test(name)) a.fill(1);
      return [name, a];
    }),
  );

export const loadConfigs = async (): Promise<E.Either<AppError, BenchConfig[]>> => {
  const stories = await loadLlama2c(fileURLToPath(STORIES))();
  if (E.isLeft(stories)) return stories;
  const plan = planInheritance(stories.right.spec, { _tag: "first", n: 3 });
  if (E.isLeft(plan)) return plan;
  const small = gpt2(4, 128, 128), large = gpt2(6, 256, 256);
  return E.right([
    {
      name: "stories260K first 3 blocks",
      spec: plan.right.target,
      weights: inheritWeights(plan.right, stories.right.weights),
      B: 16,
      T: 256,
      peer: false,
    },
    { name: "gpt2 4x128 T128", spec: small, weights: initWeights(small), B: 8, T: 128, peer: true },
    { name: "gpt2 6x256 T256", spec: large, weights: initWeights(large), B: 8, T: 256, peer: true },
  ]);
};

export { forwardFlopsPerToken, matmulParams, trainFlopsPerToken } from "../core/model/flops.ts";

/** The linear shapes (N rows, I in, O out) one forward of a config multiplies. */
export const linearShapes = (
  c: BenchConfig,
): ReadonlyArray<{ readonly N: number; readonly I: number; readonly O: number; readonly what: string }> => {
  const s = c.spec, N = c.B * c.T, C = s.nEmbd, F = ffnDim(s);
  return [
    { N, I: C, O: C + 2 * kvDim(s), what: "qkv" },
    { N, I: C, O: C, what: "proj" },
    { N, I: C, O: s._tag === "gpt2" ? F : 2 * F, what: "up" },
    { N, I: F, O: C, what: "down" },
    { N, I: C, O: s.vocabSize, what: "head" },
  ];
};
