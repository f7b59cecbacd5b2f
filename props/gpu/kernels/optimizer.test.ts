/**
 * The optimizer kernels against their CPU twins (core/ops/adamw.ts), outputs poisoned with NaN.
 * AdamW: each output is a handful of f32 operations on exact inputs, so a few ulps of the
 * magnitude of its terms: m within 4 ulps of β1|m| + (1−β1)|g|, v within 5 ulps of β2·v + (1−β2)·g²
 * (the clipped g is rounded once and squaring doubles that: 2, then the two products and the sum),
 * param within 8 ulps of |p| + lr·(m̂'s terms/(√v̂ + ε) + wd·|p|) (the √ and the division add one each).
 * Norm: the sum of n squares in f32 chunks, so within (n + 4) ulps of the sum (Higham's bound).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { adamwStep, clipScale as cpuClipScale } from "../../../core/ops/adamw.ts";
import { adamw, clipScale, SUMSQ_CHUNK, sumsqPartial } from "../../../gpu/kernels/adamw.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { runKernel, worstRatio } from "../../../test/gpu/_run_kernel.ts";

const gpu = useGpu();
const vec = (n: number, min: number, max: number) =>
  fc.float32Array({
    minLength: n,
    maxLength: n,
    min: Math.fround(min),
    max: Math.fround(max),
    noNaN: true,
    noDefaultInfinity: true,
  }).map((a) => a.map((x) => (Math.abs(x) < 2 ** -60 ? 0.25 : x)));
const arbCase = fc.integer({ min: 1, max: 700 }).chain((n) =>
  fc.record({
    p: vec(n, -2, 2),
    g: vec(n, -1, 1),
    m: vec(n, -0.1, 0.1),
    v: vec(n, 0, 0.01).map((a) => a.map(Math.abs)),
    t: fc.integer({ min: 1, max: 1000 }),
    lr: fc.double({ min: 1e-5, max: 1e-2, noNaN: true }),
    decay: fc.boolean(),
    scale: fc.double({ min: 0.1, max: 1, noNaN: true }),
  })
);
const U = 2 ** -24;

describe("optimizer kernels on lavapipe", () => {
  test.prop([arbCase], { numRuns: 25 })(
    "adamw matches core/ops/adamw.ts within a few ulps of each output's terms",
    async ({ p, g, m, v, t, lr, decay, scale }) => {
      // The kernel takes its hyperparameters as f32 uniforms; the twin gets the same f32 values.
      const hp = {
        lr: Math.fround(lr),
        beta1: Math.fround(0.9),
        beta2: Math.fround(0.95),
        eps: Math.fround(1e-8),
        weightDecay: Math.fround(0.1),
        gradClip: 1,
      };
      const sc = Math.fround(scale), n = p.length;
      const r = await runKernel(gpu(), adamw, { param: p, grad: g, m, v, stats: Float32Array.of(sc, 0) }, {
        param: n,
        m: n,
        v: n,
      }, {
        n,
        lr: hp.lr,
        beta1: hp.beta1,
        beta2: hp.beta2,
        eps: hp.eps,
        wd: decay ? hp.weightDecay : 0,
        bc1: 1 - hp.beta1 ** t,
        bc2: 1 - hp.beta2 ** t,
      });
      const want = adamwStep(p, g, m, v, t, hp, decay, sc);
      const gs = Array.from(g, (x) => x * sc);
      expect(
        worstRatio(r.m!, want.m, Array.from(m, (x, i) => hp.beta1 * Math.abs(x) + (1 - hp.beta1) * Math.abs(gs[i]!)), 4)
          .ratio,
        "m",
      ).toBeLessThanOrEqual(1);
      expect(
        worstRatio(r.v!, want.v, Array.from(v, (x, i) => hp.beta2 * x + (1 - hp.beta2) * gs[i]! ** 2), 5).ratio,
        "v",
      ).toBeLessThanOrEqual(1);
      const c1 = 1 - hp.beta1 ** t, c2 = 1 - hp.beta2 ** t;
      // m̂'s terms, not m̂ itself: m can be a cancellation of β1·m and (1 − β1)·g.
      const mTerms = (i: number) => hp.beta1 * Math.abs(m[i]!) + (1 - hp.beta1) * Math.abs(gs[i]!);
      const pScale = Array.from(p, (x, i) =>
        Math.abs(x) +
        hp.lr * (mTerms(i) / c1 / (Math.sqrt(want.v[i]! / c2) + hp.eps) + (decay ? hp.weightDecay : 0) * Math.abs(x)));
      const wp = worstRatio(r.param!, want.param, pScale, 8), i = wp.at;
      expect(
        wp.ratio,
        `param[${i}]: ${r.param![i]} vs ${want.param[i]} from p ${p[i]} g ${gs[i]} m ${m[i]} v ${
          v[i]
        } t ${t} lr ${hp.lr}`,
      ).toBeLessThanOrEqual(1);
    },
  );

  test.prop([
    fc.integer({ min: 1, max: 3000 }).chain((n) => vec(n, -3, 3)),
    fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 40, noNaN: true })),
  ], { numRuns: 20 })(
    "sumsq_partial then clip_scale give the global norm within (n + 4) ulps and min(1, clip/‖g‖)",
    async (g, clip) => {
      const chunks = Math.ceil(g.length / SUMSQ_CHUNK);
      const parts = await runKernel(gpu(), sumsqPartial, { g }, { partials: chunks }, { n: g.length, p0: 0 });
      const r = await runKernel(gpu(), clipScale, { partials: parts.partials! }, { stats: 2 }, {
        count: chunks,
        clip: Math.fround(clip),
      });
      const sumsq = g.reduce((s, x) => s + x * x, 0), norm = Math.sqrt(sumsq);
      expect(Math.abs(r.stats![1]! - norm)).toBeLessThanOrEqual((g.length + 4) * U * norm + 2 ** -126);
      const want = cpuClipScale(norm, Math.fround(clip));
      expect(Math.abs(r.stats![0]! - want)).toBeLessThanOrEqual((g.length + 8) * U * want);
    },
  );
});
