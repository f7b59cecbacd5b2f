/**
 * Elementwise activations. Shapes: GELU in/out (n); SwiGLU h (N, 2F) = [gate | up] from one fused
 * matmul → out (N, F).
 * GELU, tanh form (GPT-2): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); the tanh argument is clamped
 * to ±10, where f32 tanh is already ±1, so no implementation can overflow into NaN.
 * SiLU: x / (1 + e^−x). GeGLU (Gemma) on the same h = [gate | up]: gelu(gate)·up, the tanh GELU as above.
 * CPU twins: core/ops/activations.ts.
 * @module
 */
import { columns } from "../../core/model/forward.ts";
import { geglu, gelu, swiglu } from "../../core/ops/activations.ts";
import { elementwise } from "../engine/elementwise.ts";
import { abs, wide } from "../engine/twin.ts";

export const geluForward = elementwise({
  name: "gelu_forward",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  count: ["params.n", ({ n }) => n],
  twin: {
    of: "core/ops/activations.ts gelu",
    dims: { n: [1, 500] },
    uniforms: ({ n }) => ({ n }),
    inputs: { inp: { _tag: "f32", length: ({ n }) => n, min: -12, max: 12 } },
    outputs: { out: ({ n }) => n },
    run: (_, a) => ({ out: gelu(wide(a.f32("inp"))) }),
    // a few f32 operations and a tanh on x: 8 ulps of |x| (|gelu(x)| ≤ |x|; tanh's error is absolute near 0)
    tolerance: { out: { _tag: "ulps", text: "8 ulps of |x|", ulps: () => 8, scale: ({ a }) => abs(a.f32("inp")) } },
  },
  body: /* wgsl */ `
  let v = inp[i];
  let u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0, 10.0);
  out[i] = 0.5 * v * (1.0 + tanh(u));`,
});

/** gate and up of h (N, 2F) = [gate | up]. */
export const gateUp = (h: Float32Array, N: number, F: number) => ({
  g: columns(wide(h), N, 2 * F, 0, F),
  u: columns(wide(h), N, 2 * F, F, F),
});

export const swigluForward = elementwise({
  name: "swiglu_forward",
  bindings: [{ name: "h", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { N: "u32", F: "u32" },
  count: ["params.N * params.F", ({ N, F }) => N * F],
  twin: {
    of: "core/ops/activations.ts swiglu",
    dims: { N: [1, 7], F: [1, 30] },
    uniforms: ({ N, F }) => ({ N, F }),
    inputs: { h: { _tag: "f32", length: ({ N, F }) => N * 2 * F, min: -12, max: 12 } },
    outputs: { out: ({ N, F }) => N * F },
    run: ({ N, F }, a) => {
      const { g, u } = gateUp(a.f32("h"), N, F);
      return { out: swiglu(g, u) };
    },
    // an exp, a division and two products: 8 ulps of |gate·up| (|silu(g)| ≤ |g|)
    tolerance: {
      out: {
        _tag: "ulps",
        text: "8 ulps of |gate·up|",
        ulps: () => 8,
        scale: ({ d: { N, F }, a }) => {
          const { g, u } = gateUp(a.f32("h"), N, F);
          return g.map((x, i) => Math.abs(x * u[i]!));
        },
      },
    },
  },
  body: /* wgsl */ `
  let n = i / params.F;
  let f = i % params.F;
  let g = h[n * 2u * params.F + f];
  let u = h[n * 2u * params.F + params.F + f];
  out[i] = g / (1.0 + exp(-g)) * u;`,
});

export const gegluForward = elementwise({
  name: "geglu_forward",
  bindings: [{ name: "h", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: { N: "u32", F: "u32" },
  count: ["params.N * params.F", ({ N, F }) => N * F],
  twin: {
    of: "core/ops/activations.ts geglu",
    dims: { N: [1, 7], F: [1, 30] },
    uniforms: ({ N, F }) => ({ N, F }),
    inputs: { h: { _tag: "f32", length: ({ N, F }) => N * 2 * F, min: -12, max: 12 } },
    outputs: { out: ({ N, F }) => N * F },
    run: ({ N, F }, a) => {
      const { g, u } = gateUp(a.f32("h"), N, F);
      return { out: geglu(g, u) };
    },
    // GELU's 8 ulps of |gate| (its own allowance, above) times |up|, and one more product
    tolerance: {
      out: {
        _tag: "ulps",
        text: "9 ulps of |gate·up|",
        ulps: () => 9,
        scale: ({ d: { N, F }, a }) => {
          const { g, u } = gateUp(a.f32("h"), N, F);
          return g.map((x, i) => Math.abs(x * u[i]!));
        },
      },
    },
  },
  body: /* wgsl */ `
  let n = i / params.F;
  let f = i % params.F;
  let g = h[n * 2u * params.F + f];
  let u = h[n * 2u * params.F + params.F + f];
  let t = clamp(0.7978845608028654 * (g + 0.044715 * g * g * g), -10.0, 10.0);
  out[i] = 0.5 * g * (1.0 + tanh(t)) * u;`,
});
