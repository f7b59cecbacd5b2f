/**
 * Elementwise activations. Shapes: GELU in/out (n); SwiGLU h (N, 2F) = [gate | up] from one fused
 * matmul → out (N, F).
 * GELU, tanh form (GPT-2): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); the tanh argument is clamped
 * to ±10, where f32 tanh is already ±1, so no implementation can overflow into NaN.
 * SiLU: x / (1 + e^−x). CPU twins: core/ops/activations.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const geluForward = defineKernel({
  name: "gelu_forward",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  workgroupSize: 64,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.n) { return; }
  let v = inp[i];
  let u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0, 10.0);
  out[i] = 0.5 * v * (1.0 + tanh(u));`,
});

export const swigluForward = defineKernel({
  name: "swiglu_forward",
  bindings: [{ name: "h", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { N: "u32", F: "u32" },
  workgroupSize: 64,
  grid: ({ N, F }, [wx]) => [ceilDiv(N * F, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.N * params.F) { return; }
  let n = i / params.F;
  let f = i % params.F;
  let g = h[n * 2u * params.F + f];
  let u = h[n * 2u * params.F + params.F + f];
  out[i] = g / (1.0 + exp(-g)) * u;`,
});
