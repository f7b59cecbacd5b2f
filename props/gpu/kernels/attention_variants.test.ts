/**
 * The head-dim variants of the attention kernels (gpu/kernels/attention/attention.ts headDimVariant) against
 * the "default" one, which kernels.test.ts (and backward_model.test.ts) hold to the CPU
 * twins: for any shape whose head dim has a variant, forward and both backward kernels give the
 * default's bits (the same sums in the same order, only D fixed at compile time). The "lanes"
 * builds (rows shared by subgroupBroadcast) give the plain default's bits too, in their variants
 * and, for head dims that are no multiple of 8, in their default.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe } from "vitest";
import { attentionForward, attentionForwardLanes, headDimVariant } from "../../../gpu/kernels/attention/attention.ts";
import {
  attentionBackwardKV,
  attentionBackwardKVLanes,
  attentionBackwardQ,
  attentionBackwardQLanes,
} from "../../../gpu/kernels/attention/attention_backward.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { runKernel } from "../../../test/gpu/_run_kernel.ts";
import { expectBitEqual } from "../_models.ts";

const gpu = useGpu();
const floats = (n: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: -2, max: 2, noNaN: true, noDefaultInfinity: true });

const plain = { fwd: attentionForward, bq: attentionBackwardQ, bkv: attentionBackwardKV };
const lanes = { fwd: attentionForwardLanes, bq: attentionBackwardQLanes, bkv: attentionBackwardKVLanes };
type Build = typeof plain | typeof lanes;

const arbHeads = (dims: readonly number[]) =>
  fc.record({
    B: fc.integer({ min: 1, max: 2 }),
    T: fc.integer({ min: 1, max: 40 }),
    NKV: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 2 }),
    D: fc.constantFrom(...dims),
  })
    .chain((d) =>
      fc.record({
        d: fc.constant(d),
        qkv: floats(d.B * d.T * (d.NKV * d.G + 2 * d.NKV) * d.D),
        dout: floats(d.B * d.T * d.NKV * d.G * d.D),
      })
    );

/** Forward, backward q and backward kv of build `k` in `variant` against the plain default, bit for bit. */
const expectDefaultBits = async (
  { d, qkv, dout }: {
    d: { B: number; T: number; NKV: number; G: number; D: number };
    qkv: Float32Array;
    dout: Float32Array;
  },
  k: Build,
  variant: string,
) => {
  const NH = d.NKV * d.G, C = NH * d.D, KV = d.NKV * d.D, W = C + 2 * KV, N = d.B * d.T;
  const head = { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W, C, scale: 1 / Math.sqrt(d.D) };
  const fwd = (b: Build, v: string) =>
    runKernel(gpu(), b.fwd, { qkv, kv: qkv }, { out: N * C, lse: N * NH }, {
      ...head,
      S: d.T,
      kvW: W,
      kOff: C,
      vOff: C + KV,
      pos0: 0,
    }, v);
  const [a, b] = [await fwd(plain, "default"), await fwd(k, variant)];
  expectBitEqual("out", b.out!, a.out!);
  expectBitEqual("lse", b.lse!, a.lse!);
  const bq = (b: Build, v: string) =>
    runKernel(gpu(), b.bq, { qkv, out: a.out!, dout, lse: a.lse! }, { dqkv: qkv.length, delta: N * NH }, head, v);
  const [qa, qb] = [await bq(plain, "default"), await bq(k, variant)];
  expectBitEqual("dq", qb.dqkv!, qa.dqkv!);
  expectBitEqual("delta", qb.delta!, qa.delta!);
  const bkv = (b: Build, v: string) =>
    runKernel(
      gpu(),
      b.bkv,
      { qkv, dout, lse: a.lse!, delta: qa.delta!, dqkv: qa.dqkv! },
      { dqkv: qkv.length },
      head,
      v,
    );
  expectBitEqual("dk, dv", (await bkv(k, variant)).dqkv!, (await bkv(plain, "default")).dqkv!);
};

describe("attention head-dim variants", () => {
  test.prop([arbHeads([8, 16, 32])], { numRuns: 6 })(
    "for any shape with D in 8, 16, 32, the d<D> variants of attention forward, backward q and backward kv give the default's bits",
    (c) => expectDefaultBits(c, plain, headDimVariant(c.d.D)),
  );

  test.prop([arbHeads([8, 16, 32])], { numRuns: 6 })(
    "for any shape with D in 8, 16, 32, the lanes builds' d<D> variants give the plain default's bits",
    (c) => expectDefaultBits(c, lanes, headDimVariant(c.d.D)),
  );

  test.prop([arbHeads([4, 12, 20])], { numRuns: 4 })(
    "for head dims that are no multiple of 8 (4, 12, 20), the lanes builds' default gives the plain default's bits",
    (c) => expectDefaultBits(c, lanes, "default"),
  );
});
