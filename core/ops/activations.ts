/**
 * CPU reference activations, elementwise.
 * GELU, tanh form (Hendrycks & Gimpel 2016) as GPT-2 uses: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
 * SwiGLU (Shazeer 2020) as Llama uses: silu(gate) · up, silu(x) = x / (1 + e^−x).
 * @module
 */

const GELU_K = Math.sqrt(2 / Math.PI);

export const geluScalar = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x * x * x)));
export const siluScalar = (x: number): number => x / (1 + Math.exp(-x));

export const gelu = (x: Float32Array): Float32Array => x.map(geluScalar);

/** gate and up: (N, F) → (N, F). */
export const swiglu = (gate: Float32Array, up: Float32Array): Float32Array => gate.map((g, i) => siluScalar(g) * up[i]!);

/** Elementwise a + b, the residual connection. */
export const add = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => v + b[i]!);
