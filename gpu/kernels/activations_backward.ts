/**
 * Activation backward passes, elementwise.
 * GELU (tanh form), u = k(x + 0.044715x³), k = √(2/π):
 *   gelu'(x) = 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·k(1 + 3·0.044715x²)   (u clamped to ±10 as forward)
 * SwiGLU on h = [gate | up] (N, 2F): out = silu(g)·u;  dgate = dy·u·silu'(g), dup = dy·silu(g),
 *   silu'(g) = s(1 + g(1 − s)), s = sigmoid(g). dh has h's layout.
 * GELU (exact): gelu'(x) = Φ(x) + x·φ(x) = 0.5(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π) (erf: ERF_WGSL).
 * GeGLU on h = [gate | up]: out = gelu(g)·u;  dgate = dy·u·gelu'(g), dup = dy·gelu(g) (the tanh GELU above).
 * CPU twins: core/ops/activations_backward.ts.
 * @module
 */
import {
  gegluBackward as cpuGegluBackward,
  geluBackward as cpuGeluBackward,
  geluErfBackward as cpuGeluErfBackward,
  swigluBackward as cpuSwigluBackward,
} from "../../core/ops/activations_backward.ts";
import { elementwise } from "../engine/elementwise.ts";
import { wide } from "../engine/twin.ts";
import { normalCdf } from "../../core/ops/activations.ts";
import { ERF_WGSL, gateUp, perValue, perValueCases } from "./activations.ts";

const GELU_K = Math.sqrt(2 / Math.PI);

export const geluBackward = elementwise({
  name: "gelu_backward",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "dx", access: "read_write" }],
  ...perValue,
  twin: {
    of: "core/ops/activations_backward.ts geluBackward",
    ...perValueCases,
    inputs: { dy: { _tag: "f32", length: ({ n }) => n }, x: { _tag: "f32", length: ({ n }) => n, min: -12, max: 12 } },
    outputs: { dx: ({ n }) => n },
    run: (_, a) => ({ dx: cpuGeluBackward(wide(a.f32("dy")), wide(a.f32("x"))) }),
    tolerance: {
      // tanh's error is absolute (~1 ulp of 1), and 1 − tanh² cancels to it: so the terms count
      // 1 + tanh² where the formula has 1 − tanh²; a dozen f32 operations on top
      dx: {
        _tag: "ulps",
        text: "16 ulps of |dy|·(½(1 + |tanh u|) + ½|x|(1 + tanh²u)·k(1 + 3·0.044715x²))",
        ulps: () => 16,
        scale: ({ a }) =>
          Float64Array.from(a.f32("x"), (v, i) => {
            const th = Math.tanh(GELU_K * (v + 0.044715 * v ** 3));
            return Math.abs(a.f32("dy")[i]!) *
              (0.5 * (1 + Math.abs(th)) + 0.5 * Math.abs(v) * (1 + th * th) * GELU_K * (1 + 3 * 0.044715 * v * v));
          }),
      },
    },
  },
  body: /* wgsl */ `
  let v = x[i];
  let k = 0.7978845608028654;
  let th = tanh(clamp(k * (v + 0.044715 * v * v * v), -10.0, 10.0));
  let d = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * v * v);
  dx[i] = dy[i] * d;`,
});

export const geluErfBackward = elementwise({
  name: "gelu_erf_backward",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read" }, { name: "dx", access: "read_write" }],
  ...perValue,
  prelude: ERF_WGSL,
  twin: {
    of: "core/ops/activations_backward.ts geluErfBackward",
    ...perValueCases,
    inputs: { dy: { _tag: "f32", length: ({ n }) => n }, x: { _tag: "f32", length: ({ n }) => n, min: -12, max: 12 } },
    outputs: { dx: ({ n }) => n },
    run: (_, a) => ({ dx: cpuGeluErfBackward(wide(a.f32("dy")), wide(a.f32("x"))) }),
    tolerance: {
      // Φ(x) as in gelu_erf_forward (a few ulps of 1, scaled by Φ where x ≤ −√2); x·φ(x): exp(−x²/2) carries the
      // rounding of x² (x²/2 ulps of relative error) and exp's own (3 + 2·x²/2 ulps allowed by the spec), so that term
      // counts (1 + x²) times; the two terms cancel for x < 0, so their magnitudes add: 16 ulps of the sum
      dx: {
        _tag: "ulps",
        text: "16 ulps of |dy|·(Φ(x) + |x|φ(x)(1 + x²))",
        ulps: () => 16,
        scale: ({ a }) =>
          Float64Array.from(a.f32("x"), (v, i) =>
            Math.abs(a.f32("dy")[i]!) *
            (normalCdf(v) + (Math.abs(v) * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI)) * (1 + v * v))),
      },
    },
  },
  body: /* wgsl */ `
  let v = x[i];
  let d = 0.5 * erf_one_plus(v * 0.7071067811865476) + v * exp(-0.5 * v * v) * 0.3989422804014327;
  dx[i] = dy[i] * d;`,
});

/** dgate and dup (N, F) laid out as h: (N, 2F) = [dgate | dup]. */
const asH = (dgate: ArrayLike<number>, dup: ArrayLike<number>, N: number, F: number): Float64Array =>
  Float64Array.from({ length: N * 2 * F }, (_, i) => {
    const n = Math.floor(i / (2 * F)), f = i % (2 * F);
    return f < F ? dgate[n * F + f]! : dup[n * F + f - F]!;
  });

const sigmoid = (g: number): number => 1 / (1 + Math.exp(-g));

/**
 * The backward of a gated unit over h (N, 2F) = [gate | up]: dy (N, F) → dh (N, 2F) in h's layout. SwiGLU and
 * GeGLU differ only in the derivative (`grad`: WGSL that writes dh[gi] and dh[gi + params.F] from dy[i], g, u)
 * and its allowance (`scale`: per-element scales of dgate and dup).
 */
const gatedBackward = (o: {
  readonly name: string;
  readonly of: string;
  readonly cpu: (
    dy: Float64Array,
    g: Float64Array,
    u: Float64Array,
  ) => { readonly dgate: ArrayLike<number>; readonly dup: ArrayLike<number> };
  readonly ulps: number;
  readonly text: string;
  readonly scale: (dy: Float32Array, g: Float64Array, u: Float64Array) => readonly [Float64Array, Float64Array];
  readonly grad: string;
}) =>
  elementwise({
    name: o.name,
    bindings: [{ name: "dy", access: "read" }, { name: "h", access: "read" }, { name: "dh", access: "read_write" }],
    uniforms: { N: "u32", F: "u32" },
    count: ["params.N * params.F", ({ N, F }) => N * F],
    twin: {
      of: o.of,
      dims: { N: [1, 7], F: [1, 30] },
      uniforms: ({ N, F }) => ({ N, F }),
      inputs: {
        dy: { _tag: "f32", length: ({ N, F }) => N * F },
        h: { _tag: "f32", length: ({ N, F }) => N * 2 * F, min: -12, max: 12 },
      },
      outputs: { dh: ({ N, F }) => N * 2 * F },
      run: ({ N, F }, a) => {
        const { g, u } = gateUp(a.f32("h"), N, F), { dgate, dup } = o.cpu(wide(a.f32("dy")), g, u);
        return { dh: asH(dgate, dup, N, F) };
      },
      tolerance: {
        dh: {
          _tag: "ulps",
          text: o.text,
          ulps: () => o.ulps,
          scale: ({ d: { N, F }, a }) => {
            const { g, u } = gateUp(a.f32("h"), N, F), [dgate, dup] = o.scale(a.f32("dy"), g, u);
            return asH(dgate, dup, N, F);
          },
        },
      },
    },
    body: /* wgsl */ `
  let n = i / params.F;
  let f = i % params.F;
  let gi = n * 2u * params.F + f;
  let g = h[gi];
  let u = h[gi + params.F];
  ${o.grad}`,
  });

// An exp, a division and a few products; 1 − s cancels to an absolute error (~1 ulp of 1), so the dgate
// terms count 1 + s where the formula has 1 − s.
export const swigluBackward = gatedBackward({
  name: "swiglu_backward",
  of: "core/ops/activations_backward.ts swigluBackward",
  cpu: cpuSwigluBackward,
  ulps: 16,
  text: "16 ulps of |dy·up|·s(1 + |g|(1 + s)) and |dy·g|·s",
  scale: (dy, g, u) => {
    const s = g.map(sigmoid);
    return [
      s.map((si, i) => Math.abs(dy[i]! * u[i]!) * si * (1 + Math.abs(g[i]!) * (1 + si))),
      s.map((si, i) => Math.abs(dy[i]! * g[i]!) * si),
    ];
  },
  grad: `let s = 1.0 / (1.0 + exp(-g));
  dh[gi] = dy[i] * u * s * (1.0 + g * (1.0 - s));
  dh[gi + params.F] = dy[i] * g * s;`,
});

/** The GELU backward's allowance scale per unit dy (above): ½(1 + |tanh u|) + ½|x|(1 + tanh²u)·k(1 + 3·0.044715x²). */
const geluGradScale = (v: number): number => {
  const th = Math.tanh(GELU_K * (v + 0.044715 * v ** 3));
  return 0.5 * (1 + Math.abs(th)) + 0.5 * Math.abs(v) * (1 + th * th) * GELU_K * (1 + 3 * 0.044715 * v * v);
};

// dgate: the GELU backward's own allowance (16 ulps of its scale, with 1 + tanh² for the cancelling 1 − tanh²)
// times |up|, and one more product; dup: the GELU forward's 8 ulps of |gate|, times |dy|.
export const gegluBackward = gatedBackward({
  name: "geglu_backward",
  of: "core/ops/activations_backward.ts gegluBackward",
  cpu: cpuGegluBackward,
  ulps: 17,
  text: "17 ulps of |dy·up|·(GELU backward's scale) and of |dy·gate|",
  scale: (dy, g, u) => [
    g.map((gi, i) => Math.abs(dy[i]! * u[i]!) * geluGradScale(gi)),
    g.map((gi, i) => Math.abs(dy[i]! * gi)),
  ],
  grad: `let k = 0.7978845608028654;
  let th = tanh(clamp(k * (g + 0.044715 * g * g * g), -10.0, 10.0));
  let d = 0.5 * (1.0 + th) + 0.5 * g * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * g * g);
  dh[gi] = dy[i] * u * d;
  dh[gi + params.F] = dy[i] * 0.5 * g * (1.0 + th);`,
});
