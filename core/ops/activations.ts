/**
 * CPU reference activations, elementwise.
 * GELU, tanh form (Hendrycks & Gimpel 2016) as GPT-2 uses: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
 * GELU, exact (transformers' "gelu", torch's default): x·Φ(x) = 0.5x(1 + erf(x/√2)) = 0.5x·erfc(−x/√2), the
 * erfc form keeping Φ's relative accuracy where it is tiny (x ≪ 0); erf from core/ops/erf.ts.
 * SwiGLU (Shazeer 2020) as Llama uses: silu(gate) · up, silu(x) = x / (1 + e^−x).
 * GeGLU (Shazeer 2020) as Gemma uses: gelu(gate) · up with the tanh GELU above (transformers' gelu_pytorch_tanh).
 * Arrays keep their type (core/model/floats.ts): f32 in, f32 out, each value rounded once.
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";
import { erfcScalar, erfScalar } from "./erf.ts";

const GELU_K = Math.sqrt(2 / Math.PI);

export const geluScalar = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x * x * x)));
/** Φ(x), the standard normal distribution function: ½ erfc(−x/√2). */
export const normalCdf = (x: number): number => 0.5 * erfcScalar(-x / Math.SQRT2);
export const geluErfScalar = (x: number): number => x * normalCdf(x);
export const siluScalar = (x: number): number => x / (1 + Math.exp(-x));

/** Elementwise f(a[i], b[i]) into a new array of a's type (one rounding per value for f32). */
const zipWith = <A extends Floats>(a: A, b: Floats, f: (x: number, y: number) => number): A => {
  const y = alloc(a, a.length);
  for (let i = 0; i < a.length; i++) y[i] = f(a[i]!, b[i]!);
  return y;
};

export const gelu = <A extends Floats>(x: A): A => zipWith(x, x, (v) => geluScalar(v));
export const geluErf = <A extends Floats>(x: A): A => zipWith(x, x, (v) => geluErfScalar(v));
/** erf of every element (core/ops/erf.ts), the twin of gpu/kernels/activations.ts erfForward. */
export const erf = <A extends Floats>(x: A): A => zipWith(x, x, (v) => erfScalar(v));

/** gate and up: (N, F) → (N, F). */
export const swiglu = <A extends Floats>(gate: A, up: A): A => zipWith(gate, up, (g, u) => siluScalar(g) * u);

/** gate and up: (N, F) → (N, F). */
export const geglu = <A extends Floats>(gate: A, up: A): A => zipWith(gate, up, (g, u) => geluScalar(g) * u);
