/**
 * Head-pruned models (core/surgery/heads.ts) on the GPU against the CPU reference: the attention width
 * Q = h·D is below C, so every q/att buffer, the qkv column offsets and the output projection's
 * input width follow Q, not C. Allowance as props/gpu/forward_model.test.ts: 64·(L+1)·max(C, F, T)
 * ulps of each row's largest |logit|. Widths of at least 4 (a 2-wide LayerNorm magnifies rounding).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { forward } from "../../core/model/forward.ts";
import { chooseHeads, headImportance, narrowHeads } from "../../core/surgery/heads.ts";
import { ffnDim, kvHeads, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../test/gpu/_device.ts";
import { rowMaxAbs, worstRatio } from "../../test/gpu/_run_kernel.ts";
import { arbHeadSizedSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";
import { gpuModel } from "./_models.ts";

const gpu = useGpu();
const arbHeads = (s: ModelSpec) =>
  kvHeads(s) < s.nHead
    ? fc.integer({ min: 1, max: s.nHead / kvHeads(s) }).map((m) => m * kvHeads(s))
    : fc.integer({ min: 1, max: s.nHead });
/** A model (C ≥ 4) pruned to h heads by calibration on its own batch. */
const arbPruned = arbHeadSizedSpec.filter((s) => s.nEmbd >= 4)
  .chain((s) => fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s), h: arbHeads(s) }))
  .map(({ s, w, batch, h }) => {
    const keep = chooseHeads(s, headImportance(s, w, batch.tokens, batch.B, batch.T), h);
    const r = E.chain((k: number[][]) => narrowHeads(s, w, k))(keep);
    if (E.isLeft(r)) throw new Error(r.left.message);
    return { ...r.right, batch };
  });

const expectTracks = (got: Float32Array, want: Float32Array, s: ModelSpec, T: number) => {
  const r = worstRatio(got, want, rowMaxAbs(want, s.vocabSize), 64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T));
  expect(r.ratio, `logit ${r.at}: ${got[r.at]} vs ${want[r.at]}`).toBeLessThanOrEqual(1);
};

describe.each(MODEL_PROFILES)("a head-pruned model on the GPU, %s kernels", (profile) => {
  test.prop([arbPruned], { numRuns: 12 })(
    "for any model (C ≥ 4) pruned to h heads, GPU logits are within 64·(L+1)·max(C, F, T) ulps of the CPU reference's",
    async ({ spec, weights, batch: { B, T, tokens } }) => {
      const m = await gpuModel(gpu(), spec, weights, { profile });
      try {
        expectTracks(
          unwrap(await m.forward(tokens, B, T)()).logits,
          forward(spec, weights, tokens, B, T).logits,
          spec,
          T,
        );
      } finally {
        m.destroy();
      }
    },
  );

  test.prop([arbPruned], { numRuns: 6 })(
    "for any pruned model, decoding token by token with the GPU KV cache tracks the CPU decode",
    async ({ spec, weights, batch: { T, tokens } }) => {
      const m = await gpuModel(gpu(), spec, weights, { profile }), decoder = unwrap(m.decoder());
      try {
        let st = startDecoding(spec);
        for (let t = 0; t < T; t++) {
          const want = decodeStep(spec, weights as Weights, st, tokens[t]!);
          st = want.state;
          expectTracks(unwrap(await decoder.step(tokens[t]!)()), want.logits, spec, t + 1);
        }
      } finally {
        decoder.destroy();
        m.destroy();
      }
    },
  );
});
