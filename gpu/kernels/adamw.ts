/**
 * The optimizer's kernels: zeroing gradients, the global gradient norm in a fixed order, and AdamW.
 *   sumsq_partial: partials[p0 + j] = Σ g² over chunk j of a tensor (CHUNK values each, in order)
 *   clip_scale:    one invocation sums every partial in order: stats = [min(1, clip/‖g‖), ‖g‖]
 *                  (scale 1 when clip ≤ 0 or ‖g‖ ≤ clip), so no readback sits inside a step
 *   adamw:         llm.c's AdamW (core/train/trainer.ts), g = grad·stats[0], bias corrections bc1 = 1 − β1^t,
 *                  bc2 = 1 − β2^t from the host; wd = 0 for tensors that do not decay.
 * CPU twins: core/ops/adamw.ts.
 * @module
 */
import { adamwStep, clipStats, sumsqChunks, zeros } from "../../core/ops/adamw.ts";
import { ceilDiv, defineKernel } from "../engine/kernel.ts";
import { elementwise } from "../engine/elementwise.ts";
import { type Inputs, overwrite, wide } from "../engine/twin.ts";

export const SUMSQ_CHUNK = 256;

export const fillZero = elementwise({
  name: "fill_zero",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: { n: "u32" },
  count: ["params.n", ({ n }) => n],
  twin: {
    of: "core/ops/adamw.ts zeros",
    dims: { n: [1, 700] },
    uniforms: ({ n }) => ({ n }),
    inputs: {},
    outputs: { out: ({ n }) => n },
    run: ({ n }) => ({ out: zeros(n) }),
    tolerance: { out: { _tag: "exact" } },
  },
  body: /* wgsl */ `  out[i] = 0.0;`,
});

export const sumsqPartial = elementwise({
  name: "sumsq_partial",
  bindings: [{ name: "g", access: "read" }, { name: "partials", access: "read_write" }],
  uniforms: { n: "u32", p0: "u32" },
  defines: { CHUNK: SUMSQ_CHUNK },
  workgroupSize: 16,
  index: "j",
  count: ["(params.n + u32(CHUNK) - 1u) / u32(CHUNK)", ({ n }) => ceilDiv(n, SUMSQ_CHUNK)],
  twin: {
    of: "core/ops/adamw.ts sumsqChunks",
    dims: { n: [1, 3000], p0: [0, 3] },
    uniforms: ({ n, p0 }) => ({ n, p0 }),
    inputs: { g: { _tag: "f32", length: ({ n }) => n, min: -3, max: 3 } },
    outputs: { partials: ({ n, p0 }) => p0 + ceilDiv(n, SUMSQ_CHUNK) },
    run: ({ p0 }, a) => {
      const sums = sumsqChunks(a.f32("g"), SUMSQ_CHUNK);
      return { partials: overwrite(a.f32("partials"), (i) => (i < p0 ? undefined : sums[i - p0])) };
    },
    // a sum of at most CHUNK squares, every term ≥ 0: γ_len of the sum, one more for the squares
    tolerance: {
      partials: {
        _tag: "ulps",
        text: "(min(n, CHUNK) + 2) ulps of the chunk's sum",
        ulps: ({ n }) => Math.min(n, SUMSQ_CHUNK) + 2,
        scale: ({ want }) => want("partials"),
      },
    },
  },
  body: /* wgsl */ `
  let first = j * u32(CHUNK);
  let end = min(first + u32(CHUNK), params.n);
  var s = 0.0;
  for (var i = first; i < end; i++) { s += g[i] * g[i]; }
  partials[params.p0 + j] = s;`,
});

export const clipScale = defineKernel({
  name: "clip_scale",
  bindings: [{ name: "partials", access: "read" }, { name: "stats", access: "read_write" }],
  uniforms: { count: "u32", clip: "f32" },
  workgroupSize: 1,
  grid: () => [1, 1, 1],
  twin: {
    of: "core/ops/adamw.ts clipStats",
    dims: { count: [1, 40], clip100: [0, 4000] },
    uniforms: ({ count, clip100 }) => ({ count, clip: Math.fround(clip100 / 100) }),
    inputs: { partials: { _tag: "f32", length: ({ count }) => count, min: 0, max: 100 } },
    outputs: { stats: () => 2 },
    run: ({ clip100 }, a) => ({ stats: clipStats(Float64Array.from(a.f32("partials")), Math.fround(clip100 / 100)) }),
    // a sum of count terms ≥ 0 (γ_count), its √ (half that, and one rounding), and one division;
    // where ‖g‖ ≈ clip the two sides may pick 1 and clip/‖g‖, which differ by no more than ‖g‖'s error
    tolerance: {
      stats: {
        _tag: "ulps",
        text: "(count + 4) ulps of [scale, ‖g‖]",
        ulps: ({ count }) => count + 4,
        scale: ({ want }) => want("stats"),
      },
    },
  },
  wgsl: /* wgsl */ `
  var s = 0.0;
  for (var i = 0u; i < params.count; i++) { s += partials[i]; }
  let norm = sqrt(s);
  stats[0] = select(1.0, params.clip / norm, params.clip > 0.0 && norm > params.clip);
  stats[1] = norm;`,
});

/** An AdamW case's hyperparameters: lr log-uniform in [1e-5, 1e-2]; f32 values, for the kernel and the twin alike. */
const hyper = (lr1000: number) => ({
  lr: Math.fround(1e-5 * 1000 ** (lr1000 / 1000)),
  beta1: Math.fround(0.9),
  beta2: Math.fround(0.95),
  eps: Math.fround(1e-8),
  weightDecay: Math.fround(0.1),
  gradClip: 1,
});

export const adamw = elementwise({
  name: "adamw",
  bindings: [
    { name: "param", access: "read_write" },
    { name: "grad", access: "read" },
    { name: "m", access: "read_write" },
    { name: "v", access: "read_write" },
    { name: "stats", access: "read" },
  ],
  uniforms: { n: "u32", lr: "f32", beta1: "f32", beta2: "f32", eps: "f32", wd: "f32", bc1: "f32", bc2: "f32" },
  count: ["params.n", ({ n }) => n],
  twin: {
    of: "core/ops/adamw.ts adamwStep",
    dims: { n: [1, 700], t: [1, 1000], lr1000: [0, 1000], decay: [0, 1], scale1000: [100, 1000] },
    uniforms: ({ n, t, lr1000, decay }) => {
      const hp = hyper(lr1000);
      return {
        n,
        lr: hp.lr,
        beta1: hp.beta1,
        beta2: hp.beta2,
        eps: hp.eps,
        wd: decay ? hp.weightDecay : 0,
        bc1: 1 - hp.beta1 ** t,
        bc2: 1 - hp.beta2 ** t,
      };
    },
    inputs: {
      param: { _tag: "f32", length: ({ n }) => n },
      grad: { _tag: "f32", length: ({ n }) => n, min: -1, max: 1 },
      m: { _tag: "f32", length: ({ n }) => n, min: -0.1, max: 0.1 },
      v: { _tag: "f32", length: ({ n }) => n, min: 0, max: 0.01 },
      stats: { _tag: "derived", make: ({ scale1000 }) => Float32Array.of(scale1000 / 1000, 0) },
    },
    outputs: { param: ({ n }) => n, m: ({ n }) => n, v: ({ n }) => n },
    run: ({ t, lr1000, decay }, a) => ({
      ...adamwStep(
        wide(a.f32("param")),
        a.f32("grad"),
        a.f32("m"),
        a.f32("v"),
        t,
        hyper(lr1000),
        decay === 1,
        a.f32("stats")[0],
      ),
    }),
    // each output is a handful of f32 operations on exact inputs, each rounding within u = 2^−24:
    // m: g = grad·s (1), two products, a sum: 3 of its terms' magnitude; v: g² doubles g's rounding,
    // so 2 + two products + a sum: 5 (props/gpu/kernels/optimizer.test.ts's 4 is exceeded about once in 2000
    // cases); param: m̂'s terms, not m̂ (m can be a cancellation of β1·m and (1 − β1)·g); √, ÷ add one each
    tolerance: {
      m: { _tag: "ulps", text: "4 ulps of β1|m| + (1 − β1)|g|", ulps: () => 4, scale: ({ a }) => adamTerms(a).m },
      v: { _tag: "ulps", text: "5 ulps of β2·v + (1 − β2)·g²", ulps: () => 5, scale: ({ a }) => adamTerms(a).v },
      param: {
        _tag: "ulps",
        text: "8 ulps of |p| + lr·(m̂'s terms/(√v̂ + ε) + wd·|p|)",
        ulps: () => 8,
        scale: ({ d: { t, lr1000, decay }, a, want }) => {
          const hp = hyper(lr1000),
            p = a.f32("param"),
            mt = adamTerms(a).m,
            v = want("v"),
            c1 = 1 - hp.beta1 ** t,
            c2 = 1 - hp.beta2 ** t;
          return p.map((x, i) =>
            Math.abs(x) +
            hp.lr * (mt[i]! / c1 / (Math.sqrt(v[i]! / c2) + hp.eps) + (decay ? hp.weightDecay : 0) * Math.abs(x))
          );
        },
      },
    },
  },
  body: /* wgsl */ `
  let g = grad[i] * stats[0];
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let mh = mi / params.bc1;
  let vh = vi / params.bc2;
  param[i] = param[i] - params.lr * (mh / (sqrt(vh) + params.eps) + params.wd * param[i]);`,
});

/** The magnitudes of the terms of m and v: β1|m| + (1 − β1)|g·s| and β2·v + (1 − β2)(g·s)². */
const adamTerms = (a: Inputs) => {
  const b1 = Math.fround(0.9), b2 = Math.fround(0.95), sc = a.f32("stats")[0]!, g = a.f32("grad");
  return {
    m: Float64Array.from(a.f32("m"), (x, i) => b1 * Math.abs(x) + (1 - b1) * Math.abs(g[i]! * sc)),
    v: Float64Array.from(a.f32("v"), (x, i) => b2 * x + (1 - b2) * (g[i]! * sc) ** 2),
  };
};
