/**
 * The CPU reference backward (core/model/backward.ts) of whole tiny models against central finite
 * differences of the CPU forward (core/model/forward.ts), both run in float64; and its loss against the
 * forward's in f32, bit for bit. Tolerance: fdTolerance (props/core/model/backward_fd.ts), 1e-6 of each
 * tensor's gradient scale.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { lossAndGrads } from "../../../core/model/backward.ts";
import { type FloatWeights, toFloat64 } from "../../../core/model/floats.ts";
import { forward } from "../../../core/model/forward.ts";
import { meanCrossEntropy } from "../../../core/ops/cross_entropy.ts";
import { type ModelSpec, withDepth } from "../../../core/model/spec.ts";
import { allTensors, numel } from "../../../core/model/tensors.ts";
import { arbGpt2Spec, arbHeadSizedSpec, arbLlamaSpec, arbSpec, arbTokens, arbWeights } from "../arbitraries.ts";
import { centralDifference, directionalDifference, dot, fdTolerance, maxAbs, uniforms } from "./backward_fd.ts";

/** A model (at most 2 blocks, to keep finite differences quick), weights, inputs, next-token targets and a seed. */
const arbCase = (specs: fc.Arbitrary<ModelSpec>) =>
  specs.map((s) => withDepth(s, Math.min(s.nLayer, 2))).chain((s) =>
    fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s), seed: fc.integer() }).chain((c) =>
      fc.array(fc.nat(s.vocabSize - 1), { minLength: c.batch.tokens.length, maxLength: c.batch.tokens.length })
        .map((targets) => ({ ...c, targets: Int32Array.from(targets) }))
    )
  );

type Case = {
  s: ModelSpec;
  w: FloatWeights<Float32Array>;
  batch: { B: number; T: number; tokens: Int32Array };
  targets: Int32Array;
  seed: number;
};

/**
 * Per tensor: two random coordinates, and the derivative along a random direction over the whole
 * tensor (which every coordinate's gradient enters), each against central differences of the loss.
 * The directional tolerance scales with n·max|g|, the largest |Σ g·u| can be for u in [−1, 1)ⁿ.
 */
const expectGradsMatchFd = ({ s, w, batch: { B, T, tokens }, targets, seed }: Case) => {
  const w64 = toFloat64(w);
  const loss = () => meanCrossEntropy(forward(s, w64, tokens, B, T).logits, targets, B * T, s.vocabSize);
  const { grads } = lossAndGrads(s, w64, tokens, targets, B, T);
  const next = uniforms(seed);
  expect(Object.keys(grads)).toEqual(allTensors(s).map((t) => t.name));
  for (const t of allTensors(s)) {
    const x = w64[t.name]!, g = grads[t.name]!, tol = fdTolerance(maxAbs(g));
    expect(g.length).toBe(numel(t.shape));
    for (let k = 0; k < 2; k++) {
      const i = Math.floor(((next() + 1) / 2) * x.length);
      const err = Math.abs(g[i]! - centralDifference(loss, x, i));
      expect(err, `${t.name}[${i}]`).toBeLessThanOrEqual(tol);
    }
    const u = Float64Array.from(x, () => next());
    const gu = dot(g, u), dtol = fdTolerance(maxAbs(g) * x.length);
    const err = Math.abs(gu - directionalDifference(loss, x, u));
    expect(err, `${t.name} along a random direction`).toBeLessThanOrEqual(dtol);
  }
};

describe("the CPU reference backward", () => {
  test.prop([arbCase(arbGpt2Spec)], { numRuns: 40 })(
    "for any GPT-2 model and batch, every tensor's gradient matches central differences of the forward in float64",
    expectGradsMatchFd,
  );

  test.prop([arbCase(arbLlamaSpec)], { numRuns: 40 })(
    "for any Llama model (grouped-query, tied or untied, either rotary pairing) and batch, every tensor's gradient matches central differences in float64",
    expectGradsMatchFd,
  );

  test.prop([arbCase(arbHeadSizedSpec)], { numRuns: 20 })(
    "for any model whose heads have a width of their own (attention width NH·D ≠ C, as after head pruning), every tensor's gradient matches central differences in float64",
    expectGradsMatchFd,
  );

  test.prop([arbCase(arbSpec)], { numRuns: 50 })(
    "for any model and batch, the backward's loss is the forward's mean cross-entropy bit for bit, in f32 and in float64",
    ({ s, w, batch: { B, T, tokens }, targets }) => {
      const f32 = lossAndGrads(s, w, tokens, targets, B, T);
      expect(f32.loss).toBe(meanCrossEntropy(forward(s, w, tokens, B, T).logits, targets, B * T, s.vocabSize));
      expect(Object.values(f32.grads).every((g) => g instanceof Float32Array && g.every(Number.isFinite))).toBe(true);
      const w64: FloatWeights<Float64Array> = toFloat64(w);
      expect(lossAndGrads(s, w64, tokens, targets, B, T).loss).toBe(
        meanCrossEntropy(forward(s, w64, tokens, B, T).logits, targets, B * T, s.vocabSize),
      );
    },
  );
});
