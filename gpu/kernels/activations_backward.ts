/**
 * Activation backward passes, elementwise.
 * GELU (tanh form), u = k(x + 0.044715x³), k = √(2/π):
 *   gelu'(x) = 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·k(1 + 3·0.044715x²)   (u clamped to ±10 as forward)
 * SwiGLU on h = [gate | up] (N, 2F): out = silu(g)·u;  dgate = dy·u·silu'(g), dup = dy·silu(g),
 *   silu'(g) = s(1 + g(1 − s)), s = sigmoid(g). dh has h's layout.
 * CPU twins: core/ops/activations_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const geluBackward = defineKernel({
  name: "gelu_backward",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "dx", access: "read_write" }],
  uniforms: { n: "u32" },
  workgroupSize: 64,
  grid: ({ n }, [wx]) => [ceilDiv(n, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.n) { return; }
  let v = x[i];
  let k = 0.7978845608028654;
  let th = tanh(clamp(k * (v + 0.044715 * v * v * v), -10.0, 10.0));
  let d = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * v * v);
  dx[i] = dy[i] * d;`,
});

export const swigluBackward = defineKernel({
  name: "swiglu_backward",
  bindings: [{ name: "dy", access: "read" }, { name: "h", access: "read" }, { name: "dh", access: "read_write" }],
  uniforms: { N: "u32", F: "u32" },
  workgroupSize: 64,
  grid: ({ N, F }, [wx]) => [ceilDiv(N * F, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.N * params.F) { return; }
  let n = i / params.F;
  let f = i % params.F;
  let gi = n * 2u * params.F + f;
  let g = h[gi];
  let u = h[gi + params.F];
  let s = 1.0 / (1.0 + exp(-g));
  dh[gi] = dy[i] * u * s * (1.0 + g * (1.0 - s));
  dh[gi + params.F] = dy[i] * g * s;`,
});
