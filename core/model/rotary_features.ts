/**
 * The CPU reference's pieces for the rotary families beyond Llama 2 (core/model/spec.ts RotaryFeatures), each
 * called from forward.ts / block_backward.ts / backward.ts by one line, the identity when the feature is off:
 * - qkNorm (Qwen3): RMSNorm of each head of q and k over its D values (gains qnorm, knorm: D, shared by the
 *   heads), before the rotary; q (N, H·D) is (N·H, D) rows, so the gains' gradients sum over rows and heads.
 * - normKind rmsOffset (Gemma): RMSNorm scaled by 1 + w, the gain rounded to the array type as transformers'
 *   float32 GemmaRMSNorm computes it; the gradient of w is that of the gain (d(1 + w)/dw = 1).
 * - embedScale (Gemma): core/ops/embed.ts (embed, scaleValues) with core/model/spec.ts embedScaleOf.
 * - mlpKind geglu (Gemma): gelu_tanh(gate)·up with gate = w1, up = w3 (and w2 down), as SwiGLU's places.
 * @module
 */
import { type Floats, type FloatWeights, unsafeTensorOf } from "./floats.ts";
import { geglu, swiglu } from "../ops/activations.ts";
import { gegluBackward, swigluBackward } from "../ops/activations_backward.ts";
import { rmsNorm } from "../ops/norms/norms.ts";
import { rmsNormBackward } from "../ops/norms/norms_backward.ts";
import { offsetGain } from "../ops/norms/rms_offset.ts";
import { headDim, type ModelSpec } from "./spec.ts";
import { blockName } from "./tensors.ts";

/** q or k (rows, H·D) with each head RMS-normalised by block i's qnorm or knorm (D); as given without qkNorm. */
export const qkNormed = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  which: "qnorm" | "knorm",
  x: A,
): A => {
  if (s._tag !== "llama" || s.qkNorm !== true) return x;
  const D = headDim(s);
  return rmsNorm(x, unsafeTensorOf(w, blockName(i, which)), x.length / D, D, s.normEps);
};

/** The backward of qkNormed: dy and the pre-norm x (rows, H·D) → dx, recording the gain's gradient in g. */
export const qkNormBackward = <A extends Floats>(
  s: ModelSpec,
  w: FloatWeights<A>,
  i: number,
  which: "qnorm" | "knorm",
  dy: A,
  x: A,
  g: Record<string, A>,
): A => {
  if (s._tag !== "llama" || s.qkNorm !== true) return dy;
  const D = headDim(s), r = rmsNormBackward(dy, x, unsafeTensorOf(w, blockName(i, which)), x.length / D, D, s.normEps);
  g[blockName(i, which)] = r.dw;
  return r.dx;
};

/** The gain an RMSNorm multiplies by: w, or 1 + w (one rounding to w's type) for Gemma's rmsOffset. */
export const normGain = <A extends Floats>(s: ModelSpec, w: A): A =>
  s._tag === "llama" && s.normKind === "rmsOffset" ? offsetGain(w) : w;

/** The gated MLP's product: swiglu(gate, up), or geglu for Gemma. (N, F) each → (N, F). */
export const gatedActivation = <A extends Floats>(s: ModelSpec, gate: A, up: A): A =>
  s._tag === "llama" && s.mlpKind === "geglu" ? geglu(gate, up) : swiglu(gate, up);

/** The backward of gatedActivation: dy, gate, up (N, F) → dgate, dup (N, F). */
export const gatedActivationBackward = <A extends Floats>(s: ModelSpec, dy: A, gate: A, up: A) =>
  s._tag === "llama" && s.mlpKind === "geglu" ? gegluBackward(dy, gate, up) : swigluBackward(dy, gate, up);
