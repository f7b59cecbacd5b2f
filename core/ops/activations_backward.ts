/**
 * CPU reference backward of the activations in core/ops/activations.ts, elementwise, from the math.
 * GELU (tanh form), u = k(x + 0.044715x³): gelu′(x) = ½(1 + tanh u) + ½x(1 − tanh²u)·k(1 + 3·0.044715x²).
 * GELU (exact), x·Φ(x): gelu′(x) = Φ(x) + x·φ(x) = 0.5(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π).
 * SwiGLU, out = silu(g)·u: ∂/∂u = silu(g); ∂/∂g = u·σ(g)(1 + g(1 − σ(g))).
 * GeGLU, out = gelu(g)·u: ∂/∂u = gelu(g); ∂/∂g = u·gelu′(g).
 * Computed in float64 and rounded once to the array type of dy.
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";
import { geluScalar, normalCdf, siluScalar } from "./activations.ts";

const GELU_K = Math.sqrt(2 / Math.PI);

export const geluGrad = (x: number): number => {
  const th = Math.tanh(GELU_K * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_K * (1 + 3 * 0.044715 * x * x);
};

export const geluErfGrad = (x: number): number => normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

export const siluGrad = (x: number): number => {
  const sig = 1 / (1 + Math.exp(-x));
  return sig * (1 + x * (1 - sig));
};

/** dy and x (N, F) → dx (N, F). */
export const geluBackward = <A extends Floats>(dy: A, x: A): A => {
  const dx = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * geluGrad(x[i]!);
  return dx;
};

/** dy and x (N, F) → dx (N, F), for the exact GELU. */
export const geluErfBackward = <A extends Floats>(dy: A, x: A): A => {
  const dx = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * geluErfGrad(x[i]!);
  return dx;
};

/** dy, gate and up (N, F) → dgate, dup (N, F). */
export const swigluBackward = <A extends Floats>(dy: A, gate: A, up: A): { readonly dgate: A; readonly dup: A } => {
  const dgate = alloc(dy, dy.length), dup = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) {
    dgate[i] = dy[i]! * up[i]! * siluGrad(gate[i]!);
    dup[i] = dy[i]! * siluScalar(gate[i]!);
  }
  return { dgate, dup };
};

/** dy, gate and up (N, F) → dgate, dup (N, F). */
export const gegluBackward = <A extends Floats>(dy: A, gate: A, up: A): { readonly dgate: A; readonly dup: A } => {
  const dgate = alloc(dy, dy.length), dup = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) {
    dgate[i] = dy[i]! * up[i]! * geluGrad(gate[i]!);
    dup[i] = dy[i]! * geluScalar(gate[i]!);
  }
  return { dgate, dup };
};
