/**
 * GPU gradients against the CPU reference backward (core/model/backward.ts), for random models of both
 * families (GQA, tied and untied heads, both rotary styles, heads of their own width). Allowance for every gradient:
 * 64·(L + 1)·K ulps of the model's largest |gradient|, K = max(C, F, T, V, B·T) the longest f32
 * reduction on the way (weight gradients sum over all B·T rows), as for the forward logits. The
 * scale is global, not per tensor: a small gradient can be the cancellation of large terms (a
 * position's gradient sums every path through the model), and its error is that of those terms.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { lossAndGrads } from "../../core/model/backward.ts";
import { ffnDim } from "../../core/model/spec.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { worstRatio } from "../../test/gpu/_run_kernel.ts";
import { arbHeadSizedSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";

const gpu = useGpu();
const frozen = { lr: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClip: 0 };
let worst = 0;
afterAll(() => {
  if (process.env.KERNEL_REPORT) console.log(`gradients: worst ${(100 * worst).toFixed(2)}% of allowance`);
});

describe.each(MODEL_PROFILES)("the GPU backward of a whole model, %s kernels", (profile) => {
  // Widths of at least 4: a LayerNorm over C = 2 values outputs ±1 whatever they are, and its backward
  // scales f32 rounding by rstd, unbounded as the two values meet; no f32 kernel can track float64 there.
  // Head widths of their own (Q = NH·D ≠ C, as after --heads) about half the time: the trainer's buffers and offsets follow Q.
  test.prop([
    arbHeadSizedSpec.filter((s) => s.nEmbd >= 4).chain((s) =>
      fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s), shift: fc.nat(1000) })
    ),
  ], { numRuns: Number(process.env.RUNS ?? 20) })(
    "for any model and batch, every GPU gradient is within 64·(L+1)·K ulps of the largest CPU gradient, and the loss agrees",
    async ({ s, w, batch: { B, T, tokens }, shift }) => {
      const targets = tokens.map((t, i) => (t + shift + i) % s.vocabSize);
      const trainer = unwrap(await createGpuTrainer(gpu().kernels, s, { weights: w }, { profile })());
      try {
        const r = unwrap(await trainer.step([{ tokens, targets }], B, T, frozen)());
        const got = unwrap(await trainer.gradients()());
        const want = lossAndGrads(s, w, tokens, targets, B, T);
        const K = Math.max(s.nEmbd, ffnDim(s), T, s.vocabSize, B * T), ulps = 64 * (s.nLayer + 1) * K;
        const scale = Object.values(want.grads).reduce((m, g) => g.reduce((a, x) => Math.max(a, Math.abs(x)), m), 0);
        for (const [name, g] of Object.entries(want.grads)) {
          const res = worstRatio(got[name]!, g, new Float64Array(g.length).fill(scale), ulps);
          worst = Math.max(worst, res.ratio);
          expect(res.ratio, `${name}[${res.at}]: GPU ${got[name]![res.at]}, CPU ${g[res.at]}`).toBeLessThanOrEqual(1);
        }
        expect(Math.abs(r.loss - want.loss)).toBeLessThanOrEqual(ulps * 2 ** -24 * Math.max(1, want.loss));
      } finally {
        trainer.destroy();
      }
    },
  );
});
