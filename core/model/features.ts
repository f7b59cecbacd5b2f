/**
 * What the rotary decoder's biases, LayerNorm kind and ungated GELU MLPs (core/model/spec.ts RotaryFeatures:
 * qkvBias, outBias, mlpBias, headBias, normKind "layer", mlpKind "geluTanh" | "geluErf") change, asked in one
 * place so the CPU reference, the codecs and the GPU agree. GPT-2 answers as GPT-2 (biases, LayerNorm, tanh GELU).
 * Tensor names: core/model/tensors.ts (bq bk bv bo b1 b3 b2 attnnormb ffnnormb normfb lmheadb).
 * @module
 */
import type { ModelSpec } from "./spec.ts";

/** Whether the MLP is gated (SwiGLU and the like: w1 gate, w3 up, w2 down); GPT-2's and the GELU kinds are not. */
export const gatedMlp = (s: ModelSpec): boolean =>
  s._tag === "llama" && s.mlpKind !== "geluTanh" && s.mlpKind !== "geluErf";

/**
 * The MLP's activation: GPT-2's and "geluTanh" are the tanh GELU (gelu_new), "geluErf" the exact one; the gated
 * kinds are SwiGLU, or Gemma's GeGLU (tanh GELU of the gate times up).
 */
export const mlpActivation = (s: ModelSpec): "geluTanh" | "geluErf" | "swiglu" | "geglu" =>
  s._tag === "gpt2" || s.mlpKind === "geluTanh"
    ? "geluTanh"
    : s.mlpKind === "geluErf"
    ? "geluErf"
    : s.mlpKind === "geglu"
    ? "geglu"
    : "swiglu";

/** Whether a rotary decoder's norms are LayerNorms with a bias (attnnormb, ffnnormb, normfb). */
export const layerNormKind = (s: ModelSpec): boolean => s._tag === "llama" && s.normKind === "layer";

/** What an RMSNorm adds to its gain w: 1 for Gemma's 1 + w (normKind rmsOffset), else 0 (the GPU kernels' g0). */
export const rmsGainOffset = (s: ModelSpec): 0 | 1 => (s._tag === "llama" && s.normKind === "rmsOffset" ? 1 : 0);

/** Which of a rotary decoder's linears carry a bias. */
export const rotaryBiases = (s: ModelSpec) => ({
  qkv: s._tag === "llama" && s.qkvBias === true,
  out: s._tag === "llama" && s.outBias === true,
  mlp: s._tag === "llama" && s.mlpBias === true,
  head: s._tag === "llama" && s.headBias === true,
});

/** Whether a tensor is a bias (initialised 0): GPT-2's and the norms' end in "b", the linears' are b<q k v o 1 2 3>. */
export const isBiasName = (name: string): boolean => /b$|(^|\.)b[qkvo123]$/.test(name);
