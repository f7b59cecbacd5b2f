/**
 * Whole-model forward on the GPU against the CPU reference, for random models of both families.
 * Allowance per logit: 64·(L + 1)·K ulps of its row's largest |logit|, K = max(C, F, T) the longest
 * reduction in a block: each of the L + 1 stages (blocks, head) adds errors of K-term f32 sums
 * (kernels.test.ts), scaled through norms that may amplify them a few times.
 * Also: binding row views of a split weight (a small maxBindingBytes) changes no bit.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { forward } from "../../core/model/forward.ts";
import { ffnDim } from "../../core/model/spec.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { rowMaxAbs, worstRatio } from "../../test/gpu/_run_kernel.ts";
import { arbSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "./_models.ts";

const gpu = useGpu();
// Rows of at most 24 values, as the split property's name says: 4 aligned rows of a wider Llama (C up to 36) exceed 512 bytes.
const arbModel = arbSpec.filter((s) => s.nEmbd <= 24).chain((s) =>
  fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s) })
);
// Widths of at least 4 for the tolerance property: a LayerNorm over C = 2 values outputs ±1 whatever
// they are, with rstd unbounded as the two meet, so it magnifies any f32 rounding without limit.
const arbWellConditioned = arbSpec.filter((s) => s.nEmbd >= 4).chain((s) =>
  fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s) })
);
let worst = 0;
afterAll(() => {
  if (process.env.KERNEL_REPORT) console.log(`model logits: worst ${(100 * worst).toFixed(2)}% of allowance`);
});

describe.each(MODEL_PROFILES)("the GPU forward of a whole model, %s kernels", (profile) => {
  test.prop([arbWellConditioned], { numRuns: Number(process.env.RUNS ?? 20) })(
    "for any model (C ≥ 4) and tokens, GPU logits are within 64·(L+1)·max(C, F, T) ulps of the CPU reference's, and the loss agrees",
    async ({ s, w, batch: { B, T, tokens } }) => {
      const targets = tokens.map((t) => (t + 1) % s.vocabSize);
      const m = await gpuModel(gpu(), s, w, { profile });
      try {
        const got = unwrap(await m.forward(tokens, B, T, { targets })());
        const want = forward(s, w, tokens, B, T).logits, V = s.vocabSize;
        const rowMax = rowMaxAbs(want, V);
        const ulps = 64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T);
        const r = worstRatio(got.logits, want, rowMax, ulps);
        worst = Math.max(worst, r.ratio);
        expect(r.ratio, `logit ${r.at}: ${got.logits[r.at]} vs ${want[r.at]}`).toBeLessThanOrEqual(1);
        expect(got.loss).toBeDefined();
        expect(Number.isFinite(got.loss!)).toBe(true);
      } finally {
        m.destroy();
      }
    },
  );

  test.prop([arbModel], { numRuns: 8 })(
    "for any model, splitting every weight into 512-byte binding views (aligned groups of rows of at most 96 bytes fit) gives the same logits bit for bit",
    async ({ s, w, batch: { B, T, tokens } }) => {
      const [whole, split] = [
        await gpuModel(gpu(), s, w, { profile }),
        await gpuModel(gpu(), s, w, { profile, splitBytes: 512 }),
      ];
      try {
        const a = unwrap(await whole.forward(tokens, B, T)()), b = unwrap(await split.forward(tokens, B, T)());
        expectBitEqual("logits", b.logits, a.logits);
      } finally {
        whole.destroy();
        split.destroy();
      }
    },
  );
});
