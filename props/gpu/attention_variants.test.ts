/**
 * The head-dim variants of the attention kernels (gpu/kernels/attention.ts headDimVariant) against
 * the "default" one, which forward_kernels.test.ts and backward_model.test.ts hold to the CPU
 * twins: for any shape whose head dim has a variant, forward and both backward kernels give the
 * default's bits (the same sums in the same order, only D fixed at compile time).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe } from "vitest";
import { attentionForward, headDimVariant } from "../../gpu/kernels/attention.ts";
import { attentionBackwardKV, attentionBackwardQ } from "../../gpu/kernels/attention_backward.ts";
import { useGpu } from "../../test/gpu/_device.ts";
import { runKernel } from "../../test/gpu/_run_kernel.ts";
import { expectBitEqual } from "./_models.ts";

const gpu = useGpu();
const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n, min: -2, max: 2, noNaN: true, noDefaultInfinity: true });

describe("attention head-dim variants", () => {
  test.prop([fc.record({ B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 40 }), NKV: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 2 }), D: fc.constantFrom(8, 16, 32) })
    .chain((d) => fc.record({ d: fc.constant(d), qkv: floats(d.B * d.T * (d.NKV * d.G + 2 * d.NKV) * d.D), dout: floats(d.B * d.T * d.NKV * d.G * d.D) }))], { numRuns: 6 })(
    "for any shape with D in 8, 16, 32, the d<D> variants of attention forward, backward q and backward kv give the default's bits",
    async ({ d, qkv, dout }) => {
      const NH = d.NKV * d.G, C = NH * d.D, KV = d.NKV * d.D, W = C + 2 * KV, N = d.B * d.T, variant = headDimVariant(d.D);
      const head = { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale: 1 / Math.sqrt(d.D) };
      const fwd = (v: string) => runKernel(gpu(), attentionForward, { qkv, kv: qkv }, { out: N * C, lse: N * NH }, { ...head, S: d.T, kvW: W, kOff: C, vOff: C + KV, pos0: 0 }, v);
      const [a, b] = [await fwd("default"), await fwd(variant)];
      expectBitEqual("out", b.out!, a.out!);
      expectBitEqual("lse", b.lse!, a.lse!);
      const bq = (v: string) => runKernel(gpu(), attentionBackwardQ, { qkv, out: a.out!, dout, lse: a.lse! }, { dqkv: qkv.length, delta: N * NH }, head, v);
      const [qa, qb] = [await bq("default"), await bq(variant)];
      expectBitEqual("dq", qb.dqkv!, qa.dqkv!);
      const bkv = (v: string) => runKernel(gpu(), attentionBackwardKV, { qkv, dout, lse: a.lse!, delta: qa.delta!, dqkv: qa.dqkv! }, { dqkv: qkv.length }, head, v);
      expectBitEqual("dk, dv", (await bkv(variant)).dqkv!, (await bkv("default")).dqkv!);
    });
});
