/**
 * Model FLOPs per token, as MFU counts them (PaLM, Chowdhery et al. 2022, appendix B; nanoGPT's
 * estimate_mfu): 2 per multiplied weight in the forward, 6 with the backward, plus attention's
 * q·kᵀ and p·v over a context of T (4·L·Q·T forward, Q = NH·D the query width).
 * Norms, biases, softmax and the optimizer are left out, as in those counts.
 * @module
 */
import { gatedMlp } from "./features.ts";
import { ffnDim, kvDim, type ModelSpec, qDim } from "./spec.ts";

/** Parameters that take part in a matmul: every block's linear weights and the LM head (V, C). */
export const matmulParams = (s: ModelSpec): number => {
  const C = s.nEmbd, F = ffnDim(s), Q = qDim(s), up = gatedMlp(s) ? 2 * F : F;
  return s.nLayer * (C * (Q + 2 * kvDim(s)) + Q * C + C * up + F * C) + s.vocabSize * C;
};

/** A training token (forward and backward) at context T. */
export const trainFlopsPerToken = (s: ModelSpec, T: number): number =>
  6 * matmulParams(s) + 12 * s.nLayer * qDim(s) * T;

/** A forward token at context T. */
export const forwardFlopsPerToken = (s: ModelSpec, T: number): number =>
  2 * matmulParams(s) + 4 * s.nLayer * qDim(s) * T;
