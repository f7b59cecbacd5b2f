/**
 * Elementwise activations. Shapes: GELU in/out (n); SwiGLU h (N, 2F) = [gate | up] from one fused
 * matmul → out (N, F).
 * GELU, tanh form (GPT-2): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); the tanh argument is clamped
 * to ±10, where f32 tanh is already ±1, so no implementation can overflow into NaN.
 * SiLU: x / (1 + e^−x). GeGLU (Gemma) on the same h = [gate | up]: gelu(gate)·up, the tanh GELU as above.
 * CPU twins: core/ops/activations.ts.
 * GELU, exact (erf): 0.5x(1 + erf(x/√2)), with WGSL's missing erf written here in f32 (ERF_WGSL; twin core/ops/activations.ts erf, from core/ops/erf.ts).
 * @module
 */
import { columns } from "../../core/model/forward.ts";
import { erf, geglu, gelu, geluErf, swiglu } from "../../core/ops/activations.ts";
import { elementwise } from "../engine/elementwise.ts";
import { abs, wide } from "../engine/twin.ts";

/** What the activation kernels of one invocation per value share: n values, and twin cases of up to 500. */
export const perValue = { uniforms: { n: "u32" }, count: ["params.n", ({ n }: { n: number }) => n] } as const;
export const perValueCases = { dims: { n: [1, 500] }, uniforms: ({ n }: { n: number }) => ({ n }) } as const;

export const geluForward = elementwise({
  name: "gelu_forward",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  ...perValue,
  twin: {
    of: "core/ops/activations.ts gelu",
    ...perValueCases,
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

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
/** Taylor coefficients of erf (A&S 7.1.5): erf z = Σₙ cₙ z^(2n+1), cₙ = (2/√π)(−1)ⁿ / (n!(2n + 1)), n = 0..10. */
const ERF_TAYLOR = Array.from(
  { length: 11 },
  (_, n) => ((2 / Math.sqrt(Math.PI)) * (n % 2 === 0 ? 1 : -1)) / (factorial(n) * (2 * n + 1)),
);
const horner = ERF_TAYLOR.slice(0, -1).reduceRight((acc, c) => `(${c} + z2 * ${acc})`, `${ERF_TAYLOR.at(-1)}`);

/**
 * erf in f32, from the same two expansions as the twin (A&S §7.1), split where each converges fast in f32:
 * - |z| < 1: the Taylor series 7.1.5 to n = 10 (the next term is below 2⁻²⁶ of the sum), by Horner in z²; its terms
 *   alternate, but their absolute sum is at most twice the sum here (at z = 1: 1.96), so rounding stays a few ulps.
 * - |z| ≥ 1: erfc by Laplace's continued fraction 7.1.14, evaluated from its K-th term up (f ← z + (k/2)/f, all
 *   terms positive, so every step is well conditioned); K = ⌈8 + 52/z²⌉ keeps its truncation under 0.05 ulp of erfc
 *   from z = 1 (K = 60) on, checked in float64 against the twin. erfc ≤ erfc(1) = 0.157 there, so the fraction's
 *   rounding and exp's (the spec allows 3 + 2|x| ulps) reach erf = 1 − erfc scaled down by that factor.
 * Measured, with every operation rounded to f32 once (a JS emulation over 4·10⁶ points of [−6, 6] and every
 * 10⁻⁶ step near 0): at most 2.7 ulps of |erf z|, the worst just below z = 1 (the Taylor branch).
 * erf_one_plus(z) = 1 + erf z, which is erfc(−z) for z ≤ −1: computed so, it keeps its relative accuracy where
 * it is tiny, as the GELU's Φ(x) = ½(1 + erf(x/√2)) needs for x ≪ 0.
 */
export const ERF_WGSL = /* wgsl */ `
fn erf_taylor(z: f32) -> f32 {
  let z2 = z * z;
  return z * ${horner};
}
fn erfc_fraction(z: f32) -> f32 {
  let z2 = z * z;
  let K = u32(ceil(8.0 + 52.0 / z2));
  var f = z;
  for (var k = K; k >= 1u; k--) { f = z + 0.5 * f32(k) / f; }
  return exp(-z2) * 0.5641895835477563 / f;
}
fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  if (z < 1.0) { return erf_taylor(x); }
  let r = 1.0 - erfc_fraction(min(z, 10.0));
  return select(r, -r, x < 0.0);
}
fn erf_one_plus(z: f32) -> f32 {
  if (z <= -1.0) { return erfc_fraction(min(-z, 10.0)); }
  if (z >= 1.0) { return 2.0 - erfc_fraction(min(z, 10.0)); }
  return 1.0 + erf_taylor(z);
}`;

/** erf alone, elementwise: the f32 erf of ERF_WGSL held to its twin (the GELU kernels use it inside). */
export const erfForward = elementwise({
  name: "erf_forward",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  ...perValue,
  prelude: ERF_WGSL,
  twin: {
    of: "core/ops/activations.ts erf (erfScalar of core/ops/erf.ts)",
    ...perValueCases,
    inputs: { inp: { _tag: "f32", length: ({ n }) => n, min: -5, max: 5 } },
    outputs: { out: ({ n }) => n },
    run: (_, a) => ({ out: erf(wide(a.f32("inp"))) }),
    // 2.7 ulps measured with exactly rounded f32 operations (ERF_WGSL); the device's division (2.5 ulps in
    // Vulkan) and exp (3 + 2|x| ulps) enter only through erfc ≤ 0.157 of the result: 8 ulps of |erf z|
    tolerance: {
      out: { _tag: "ulps", text: "8 ulps of |erf z|", ulps: () => 8, scale: ({ a }) => abs(erf(wide(a.f32("inp")))) },
    },
  },
  body: /* wgsl */ `
  out[i] = erf_f32(inp[i]);`,
});

/** GELU, exact: 0.5x·(1 + erf(x/√2)) (transformers' "gelu"). */
export const geluErfForward = elementwise({
  name: "gelu_erf_forward",
  bindings: [{ name: "inp", access: "read" }, { name: "out", access: "read_write" }],
  ...perValue,
  prelude: ERF_WGSL,
  twin: {
    of: "core/ops/activations.ts geluErf",
    ...perValueCases,
    inputs: { inp: { _tag: "f32", length: ({ n }) => n, min: -12, max: 12 } },
    outputs: { out: ({ n }) => n },
    run: (_, a) => ({ out: geluErf(wide(a.f32("inp"))) }),
    // 1.7 ulps of |x| measured with exactly rounded f32 operations (|gelu(x)| ≤ |x|; x/√2 rounded adds at most
    // 0.5 ulp of it through erf′ ≤ 2/√π); the device's division and exp as for erf_forward: 8 ulps of |x|
    tolerance: { out: { _tag: "ulps", text: "8 ulps of |x|", ulps: () => 8, scale: ({ a }) => abs(a.f32("inp")) } },
  },
  body: /* wgsl */ `
  let v = inp[i];
  out[i] = 0.5 * v * erf_one_plus(v * 0.7071067811865476);`,
});

/** gate and up of h (N, 2F) = [gate | up]. */
export const gateUp = (h: Float32Array, N: number, F: number) => ({
  g: columns(wide(h), N, 2 * F, 0, F),
  u: columns(wide(h), N, 2 * F, F, F),
});

/**
 * A gated unit out = act(gate)·up over h (N, 2F) = [gate | up], (N, F) out: SwiGLU and GeGLU differ only
 * in the activation (`act`: WGSL statements that set `a` from `g`) and its allowance.
 */
const gatedForward = (o: {
  readonly name: string;
  readonly of: string;
  readonly cpu: (g: Float64Array, u: Float64Array) => Float64Array;
  readonly ulps: number;
  readonly why: string;
  readonly act: string;
}) =>
  elementwise({
    name: o.name,
    bindings: [{ name: "h", access: "read" }, { name: "out", access: "read_write" }],
    uniforms: { N: "u32", F: "u32" },
    count: ["params.N * params.F", ({ N, F }) => N * F],
    twin: {
      of: o.of,
      dims: { N: [1, 7], F: [1, 30] },
      uniforms: ({ N, F }) => ({ N, F }),
      inputs: { h: { _tag: "f32", length: ({ N, F }) => N * 2 * F, min: -12, max: 12 } },
      outputs: { out: ({ N, F }) => N * F },
      run: ({ N, F }, a) => {
        const { g, u } = gateUp(a.f32("h"), N, F);
        return { out: o.cpu(g, u) };
      },
      tolerance: {
        out: {
          _tag: "ulps",
          text: `${o.ulps} ulps of |gate·up| (${o.why})`,
          ulps: () => o.ulps,
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
  ${o.act}
  out[i] = a * u;`,
  });

export const swigluForward = gatedForward({
  name: "swiglu_forward",
  of: "core/ops/activations.ts swiglu",
  cpu: swiglu,
  ulps: 8,
  why: "an exp, a division and two products; |silu(g)| ≤ |g|",
  act: "let a = g / (1.0 + exp(-g));",
});

export const gegluForward = gatedForward({
  name: "geglu_forward",
  of: "core/ops/activations.ts geglu",
  cpu: geglu,
  ulps: 9,
  why: "GELU's own 8 ulps of |gate|, times |up|, and one more product",
  act:
    "let t = clamp(0.7978845608028654 * (g + 0.044715 * g * g * g), -10.0, 10.0);\n  let a = 0.5 * g * (1.0 + tanh(t));",
});
