/**
 * The head-dim variants and the lanes builds of the attention probabilities kernel
 * (gpu/kernels/attention/attention_probs.ts) against its plain "default", which kernels.test.ts holds
 * to the CPU twin: the same dot in the same order and the same exp, only D and the query rows a lane
 * owns fixed at compile time, or key rows shared by subgroupBroadcast, so the same bits.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe } from "vitest";
import { headDimVariant } from "../../../gpu/kernels/attention/attention.ts";
import { attentionProbs, attentionProbsLanes } from "../../../gpu/kernels/attention/attention_probs.ts";
import { probeLanes } from "../../../gpu/kernels/lanes_probe.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { runKernel } from "../../../test/gpu/_run_kernel.ts";
import { expectBitEqual } from "../_models.ts";

const gpu = useGpu();
let lanes = false;
beforeAll(async () => {
  lanes = await probeLanes(gpu().kernels);
});
const floats = (n: number, max: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: -max, max, noNaN: true, noDefaultInfinity: true });

const arbHeads = (dims: readonly number[]) =>
  fc.record({
    B: fc.integer({ min: 1, max: 2 }),
    T: fc.integer({ min: 1, max: 24 }),
    NKV: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 2 }),
    D: fc.constantFrom(...dims),
  }).chain((d) =>
    fc.record({
      d: fc.constant(d),
      qkv: floats(d.B * d.T * (d.NKV * d.G + 2 * d.NKV) * d.D, 2),
      lse: floats(d.B * d.NKV * d.G * d.T, 8),
    })
  );

type Case = { d: { B: number; T: number; NKV: number; G: number; D: number }; qkv: Float32Array; lse: Float32Array };
const probs = (c: Case, k: typeof attentionProbs, variant: string) => {
  const { d } = c, NH = d.NKV * d.G, C = NH * d.D;
  const u = { B: d.B, T: d.T, NH, NKV: d.NKV, D: d.D, W: C + 2 * d.NKV * d.D, C, scale: 1 / Math.sqrt(d.D) };
  return runKernel(gpu(), k, { qkv: c.qkv, lse: c.lse }, { probs: d.B * NH * d.T * d.T }, u, variant);
};
const expectDefaultBits = async (c: Case, k: typeof attentionProbs, variant: string) =>
  expectBitEqual("probs", (await probs(c, k, variant)).probs!, (await probs(c, attentionProbs, "default")).probs!);

describe("attention probabilities: head-dim variants and lanes builds", () => {
  test.prop([arbHeads([16, 64])], { numRuns: 4 })(
    "for any shape with D in 16 or 64 (GPT-2's), the d<D> variant gives the default's bits",
    (c) => expectDefaultBits(c, attentionProbs, headDimVariant(c.d.D)),
  );
  test.prop([arbHeads([16, 64])], { numRuns: 4 })(
    "for any shape with D in 16 or 64 (GPT-2's), the lanes build's d<D> variant gives the plain default's bits",
    async (c) => {
      if (lanes) await expectDefaultBits(c, attentionProbsLanes, headDimVariant(c.d.D)); // needs the lanes probe's yes
    },
  );
});
