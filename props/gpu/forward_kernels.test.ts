/**
 * Every forward kernel against its CPU twin (core/ops, written from the math), on random shapes
 * and random non-zero inputs, outputs poisoned with NaN. Each element's allowance is ulps · u ·
 * scale, where scale is the magnitude of the terms it is built from and ulps grows with the
 * length of the f32 reduction behind it (Higham's γ_n = n·u bound for a sum of n terms), with a
 * floor of ulps · 2^−126 because WGSL lets a device flush subnormals to zero (lavapipe does).
 * KERNEL_REPORT=1 prints each kernel's worst error (as a share of its allowance, and absolute).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { geluScalar, siluScalar } from "../../core/ops/activations.ts";
import { causalAttention } from "../../core/ops/attention.ts";
import { linear } from "../../core/ops/matmul.ts";
import { crossEntropyRows } from "../../core/ops/cross_entropy.ts";
import { layerNorm, rmsNorm } from "../../core/ops/norms.ts";
import { rope, ropeAngle } from "../../core/ops/rope.ts";
import { geluForward, swigluForward } from "../../gpu/kernels/activations.ts";
import { attentionForward } from "../../gpu/kernels/attention.ts";
import { crossEntropyForward } from "../../gpu/kernels/cross_entropy.ts";
import { embedForward } from "../../gpu/kernels/embed.ts";
import { matmulForward } from "../../gpu/kernels/matmul.ts";
import { layerNormForward, rmsNormForward } from "../../gpu/kernels/norms.ts";
import { ropeForward } from "../../gpu/kernels/rope.ts";
import { useGpu } from "../../test/gpu/_device.ts";
import { runKernel, worstRatio } from "../../test/gpu/_run_kernel.ts";

const gpu = useGpu();
const worst: Record<string, { ratio: number; maxAbs: number; cases: number }> = {};
const check = (name: string, got: Float32Array, want: ArrayLike<number>, scale: ArrayLike<number>, ulps: number) => {
  const w = worstRatio(got, want, scale, ulps);
  const prev = worst[name] ?? { ratio: 0, maxAbs: 0, cases: 0 };
  worst[name] = { ratio: Math.max(prev.ratio, w.ratio), maxAbs: Math.max(prev.maxAbs, w.maxAbs), cases: prev.cases + 1 };
  expect(w.ratio, `${name}: element ${w.at} is ${got[w.at]}, twin ${want[w.at]}, allowance ${ulps} ulps of ${scale[w.at]}`).toBeLessThanOrEqual(1);
};
afterAll(() => {
  if (process.env.KERNEL_REPORT) for (const [k, v] of Object.entries(worst)) console.log(`${k}: worst ${(100 * v.ratio).toFixed(1)}% of allowance, max abs error ${v.maxAbs.toExponential(2)} over ${v.cases} cases`);
});

const floats = (n: number, min = -2, max = 2) =>
  fc.float32Array({ minLength: n, maxLength: n, min, max, noNaN: true, noDefaultInfinity: true }).map((a) => a.map((v) => (Math.abs(v) < 2 ** -60 ? 0.5 : v))); // no zeros, no subnormals
const dims = <K extends string>(r: Readonly<Record<K, readonly [number, number]>>): fc.Arbitrary<Record<K, number>> =>
  fc.record(Object.fromEntries(Object.entries<readonly [number, number]>(r).map(([k, [a, b]]) => [k, fc.integer({ min: a, max: b })]))) as fc.Arbitrary<Record<K, number>>;
const abs = (a: ArrayLike<number>) => Array.from(a, Math.abs);

describe("forward kernels match their CPU twins on lavapipe", () => {
  test.prop([dims({ B: [1, 3], T: [1, 9], C: [1, 12], V: [1, 30] }).chain((d) => fc.record({
    d: fc.constant(d), wte: floats(d.V * d.C), wpe: floats(d.T * d.C), tokens: fc.array(fc.nat(d.V - 1), { minLength: d.B * d.T, maxLength: d.B * d.T }), pos: fc.boolean(),
  }))], { numRuns: 15 })("embed_forward equals the gather (and position add) exactly", async ({ d, wte, wpe, tokens, pos }) => {
    const N = d.B * d.T;
    const r = await runKernel(gpu(), embedForward, { tokens: Int32Array.from(tokens), wte, wpe }, { out: N * d.C },
      { N, T: d.T, C: d.C, pos0: 0, usePos: pos ? 1 : 0, v0: 0, vCount: d.V });
    const want = Float32Array.from({ length: N * d.C }, (_, i) => {
      const n = Math.floor(i / d.C), c = i % d.C;
      return wte[tokens[n]! * d.C + c]! + (pos ? wpe[(n % d.T) * d.C + c]! : 0);
    });
    expect(r.out).toEqual(want);
  });

  test.prop([dims({ N: [1, 13], I: [1, 40], O: [1, 21] }).chain((d) => fc.record({
    d: fc.constant(d), x: floats(d.N * d.I), w: floats(d.O * d.I), b: floats(d.O), res: floats(d.N * d.O), useBias: fc.boolean(), useRes: fc.boolean(),
  }))], { numRuns: 25 })("matmul_forward is within (I + 4) ulps of Σ|terms| of x·Wᵀ + b + res", async ({ d, x, w, b, res, useBias, useRes }) => {
    const { N, I, O } = d;
    const r = await runKernel(gpu(), matmulForward, { x, w, b, res }, { y: N * O },
      { N, I, O, ldy: O, yOff: 0, bOff: 0, useBias: useBias ? 1 : 0, useRes: useRes ? 1 : 0, xRow0: 0 });
    const lin = linear(x, w, useBias ? b : undefined, N, I, O);
    const want = lin.map((v, i) => v + (useRes ? res[i]! : 0));
    const scale = linear(Float32Array.from(abs(x)), Float32Array.from(abs(w)), useBias ? Float32Array.from(abs(b)) : undefined, N, I, O)
      .map((v, i) => v + (useRes ? Math.abs(res[i]!) : 0));
    check("matmul_forward", r.y!, want, scale, I + 4);
  });

  test.prop([dims({ N: [1, 9], C: [1, 48] }).chain((d) => fc.record({ d: fc.constant(d), x: floats(d.N * d.C, -4, 4), w: floats(d.C), b: floats(d.C) }))], { numRuns: 20 })(
    "layer_norm_forward is within (2C + 8) ulps of each output's terms", async ({ d: { N, C }, x, w, b }) => {
      const r = await runKernel(gpu(), layerNormForward, { x, w, b }, { out: N * C, mean: N, rstd: N }, { N, C, eps: 1e-5 });
      const want = layerNorm(x, w, b, N, C, 1e-5);
      // |x − μ|·rstd·|w| + |b|, with the row's largest |x| standing in for the error of μ (a sum of
      // the x, so its error scales with them, not with the spread: nearly equal x cancel in x − μ).
      const scale = Array.from(want, (_, i) => {
        const n = Math.floor(i / C), row = x.subarray(n * C, (n + 1) * C), mu = row.reduce((s, v) => s + v, 0) / C;
        const sd = Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / C + 1e-5), big = Math.max(...abs(row));
        return (Math.abs(x[i]! - mu) + big) / sd * Math.abs(w[i % C]!) + Math.abs(b[i % C]!);
      });
      check("layer_norm_forward", r.out!, want, scale, 2 * C + 8);
    });

  test.prop([dims({ N: [1, 9], C: [1, 48] }).chain((d) => fc.record({ d: fc.constant(d), x: floats(d.N * d.C, -4, 4), w: floats(d.C) }))], { numRuns: 20 })(
    "rms_norm_forward is within (C + 8) ulps of |out|", async ({ d: { N, C }, x, w }) => {
      const r = await runKernel(gpu(), rmsNormForward, { x, w }, { out: N * C, rstd: N }, { N, C, eps: 1e-5 });
      const want = rmsNorm(x, w, N, C, 1e-5);
      check("rms_norm_forward", r.out!, want, abs(want), C + 8);
    });

  test.prop([dims({ B: [1, 2], T: [1, 7], NKV: [1, 3], G: [1, 3], HD: [1, 4] }).chain((d) => fc.record({
    d: fc.constant(d), qkv: floats(d.B * d.T * (d.NKV * d.G + 2 * d.NKV) * 2 * d.HD), half: fc.boolean(),
  }))], { numRuns: 20 })("rope_forward rotates q and k within 4 ulps of each pair's |x0| + |x1|, and leaves v exactly", async ({ d, qkv, half }) => {
    const NH = d.NKV * d.G, D = 2 * d.HD, C = NH * D, KV = d.NKV * D, W = C + 2 * KV, N = d.B * d.T, P = d.T;
    const cos = Float32Array.from({ length: P * d.HD }, (_, i) => Math.cos(ropeAngle(Math.floor(i / d.HD), i % d.HD, D, 10000)));
    const sin = Float32Array.from({ length: P * d.HD }, (_, i) => Math.sin(ropeAngle(Math.floor(i / d.HD), i % d.HD, D, 10000)));
    const r = await runKernel(gpu(), ropeForward, { qkv, cosT: cos, sinT: sin }, { qkv: qkv.length },
      { N, T: d.T, pos0: 0, NH, NKV: d.NKV, D, W, C, half: half ? 1 : 0, sign: 1 });
    const style = half ? "half" : "interleaved";
    const want = qkv.slice(), scale = new Float64Array(qkv.length);
    for (let n = 0; n < N; n++) {
      const row = qkv.subarray(n * W, (n + 1) * W), t = n % d.T;
      want.set(rope(row.slice(0, C), 1, NH, D, t, 10000, style), n * W);
      want.set(rope(row.slice(C, C + KV), 1, d.NKV, D, t, 10000, style), n * W + C);
      for (let h = 0; h < NH + d.NKV; h++) for (let j = 0; j < d.HD; j++) {
        const base = n * W + (h < NH ? h * D : C + (h - NH) * D), p = base + (half ? j : 2 * j), q = base + (half ? j + d.HD : 2 * j + 1);
        scale[p] = scale[q] = Math.abs(qkv[p]!) + Math.abs(qkv[q]!);
      }
    }
    check("rope_forward", r.qkv!, want, scale, 4);
    for (let n = 0; n < N; n++) expect(r.qkv!.subarray(n * W + C + KV, (n + 1) * W)).toEqual(qkv.subarray(n * W + C + KV, (n + 1) * W));
  });

  test.prop([dims({ B: [1, 2], T: [1, 12], NKV: [1, 2], G: [1, 3], D: [1, 9] }).chain((d) => fc.record({
    d: fc.constant(d), qkv: floats(d.B * d.T * (d.NKV * d.G + 2 * d.NKV) * d.D),
  }))], { numRuns: 20 })("attention_forward is within (2t + 2D + 32) ulps of max|v| for query t", async ({ d, qkv }) => {
    const NH = d.NKV * d.G, C = NH * d.D, KV = d.NKV * d.D, W = C + 2 * KV, N = d.B * d.T;
    const r = await runKernel(gpu(), attentionForward, { qkv, kv: qkv }, { out: N * C, lse: N * NH },
      { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale: 1 / Math.sqrt(d.D), S: d.T, kvW: W, kOff: C, vOff: C + KV, pos0: 0 });
    const cols = (b: number, from: number, width: number) =>
      Float32Array.from({ length: d.T * width }, (_, i) => qkv[(b * d.T + Math.floor(i / width)) * W + from + (i % width)]!);
    for (let b = 0; b < d.B; b++) {
      const v = cols(b, C + KV, KV);
      const want = causalAttention(cols(b, 0, C), cols(b, C, KV), v, { T: d.T, pos0: 0, nHead: NH, nKvHead: d.NKV, headDim: d.D });
      const vmax = Math.max(...abs(v));
      const ulps = Array.from(want, (_, i) => 2 * Math.floor(i / C) + 2 * d.D + 32);
      const maxUlps = Math.max(...ulps);
      check("attention_forward", r.out!.slice(b * d.T * C, (b + 1) * d.T * C), want, ulps.map((u) => (u / maxUlps) * vmax), maxUlps);
    }
  });

  test.prop([fc.integer({ min: 1, max: 500 }).chain((n) => floats(n, -12, 12))], { numRuns: 15 })(
    "gelu_forward is within 8 ulps of |x|", async (x) => {
      const r = await runKernel(gpu(), geluForward, { inp: x }, { out: x.length }, { n: x.length });
      check("gelu_forward", r.out!, Array.from(x, geluScalar), abs(x), 8);
    });

  test.prop([dims({ N: [1, 7], F: [1, 30] }).chain((d) => fc.record({ d: fc.constant(d), h: floats(d.N * 2 * d.F, -12, 12) }))], { numRuns: 15 })(
    "swiglu_forward is within 8 ulps of |gate·up|", async ({ d: { N, F }, h }) => {
      const r = await runKernel(gpu(), swigluForward, { h }, { out: N * F }, { N, F });
      const g = (i: number) => h[Math.floor(i / F) * 2 * F + (i % F)]!, u = (i: number) => h[Math.floor(i / F) * 2 * F + F + (i % F)]!;
      check("swiglu_forward", r.out!, Array.from({ length: N * F }, (_, i) => siluScalar(g(i)) * u(i)), Array.from({ length: N * F }, (_, i) => Math.abs(g(i) * u(i))), 8);
    });

  test.prop([dims({ N: [1, 9], V: [1, 300] }).chain((d) => fc.record({ d: fc.constant(d), logits: floats(d.N * d.V, -20, 20), t: fc.array(fc.nat(d.V - 1), { minLength: d.N, maxLength: d.N }) }))], { numRuns: 15 })(
    "cross_entropy_forward is within (V + 8) ulps of the row's largest |logit|", async ({ d: { N, V }, logits, t }) => {
      const targets = Int32Array.from(t);
      const r = await runKernel(gpu(), crossEntropyForward, { logits, targets }, { losses: N }, { N, V, row0: 0 });
      const want = crossEntropyRows(logits, targets, N, V);
      const scale = Array.from(want, (w, n) => Math.abs(w) + Math.max(...abs(logits.subarray(n * V, (n + 1) * V))));
      check("cross_entropy_forward", r.losses!, want, scale, V + 8);
    });
});
