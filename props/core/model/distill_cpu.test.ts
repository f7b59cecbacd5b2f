/**
 * The CPU reference backward with distillation (core/model/backward.ts given a teacher's logits): every
 * tensor's gradient against float64 central differences of the mixed loss of the forward, with
 * backward_cpu.test.ts's tolerance (fdTolerance, 1e-6 of the tensor's gradient scale); and, at
 * weight 0, plain cross-entropy's loss and gradients bit for bit.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { lossAndGrads } from "../../../core/model/backward.ts";
import { toFloat64 } from "../../../core/model/floats.ts";
import { forward } from "../../../core/model/forward.ts";
import { distillLossAndGrad } from "../../../core/ops/distill.ts";
import { withDepth } from "../../../core/model/spec.ts";
import { allTensors } from "../../../core/model/tensors.ts";
import { arbSpec, arbTokens, arbWeights } from "../arbitraries.ts";
import { centralDifference, directionalDifference, dot, fdTolerance, maxAbs, uniforms } from "./backward_fd.ts";

/** A trainee of at most 2 blocks, a teacher one block deeper, a batch with targets, distillation settings and a seed. */
const arbCase = arbSpec.map((s) => withDepth(s, Math.min(s.nLayer, 2))).chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    tw: arbWeights(withDepth(s, s.nLayer + 1)),
    batch: arbTokens(s),
    shift: fc.nat(1000),
    seed: fc.integer(),
    weight: fc.double({ min: 0.05, max: 1, noNaN: true }),
    temperature: fc.double({ min: 0.5, max: 4, noNaN: true }),
  })
);

describe("the CPU reference backward with distillation", () => {
  test.prop([arbCase], { numRuns: 30 })(
    "for any model, teacher, weight and temperature, every tensor's gradient matches central differences of the mixed loss in float64",
    ({ s, w, tw, batch: { B, T, tokens }, shift, seed, weight, temperature }) => {
      const targets = tokens.map((t, i) => (t + shift + i) % s.vocabSize), kd = { weight, temperature }, N = B * T;
      const teacher = forward(withDepth(s, s.nLayer + 1), toFloat64(tw), tokens, B, T).logits, w64 = toFloat64(w);
      const loss = () =>
        distillLossAndGrad(forward(s, w64, tokens, B, T).logits, teacher, targets, N, s.vocabSize, kd, 1 / N).loss;
      const { grads } = lossAndGrads(s, w64, tokens, targets, B, T, { logits: teacher, kd });
      const next = uniforms(seed);
      for (const t of allTensors(s)) {
        const x = w64[t.name]!, g = grads[t.name]!, i = Math.floor(((next() + 1) / 2) * x.length);
        expect(Math.abs(g[i]! - centralDifference(loss, x, i)), `${t.name}[${i}]`).toBeLessThanOrEqual(
          fdTolerance(maxAbs(g)),
        );
        const u = Float64Array.from(x, () => next());
        expect(Math.abs(dot(g, u) - directionalDifference(loss, x, u)), `${t.name} along a random direction`)
          .toBeLessThanOrEqual(fdTolerance(maxAbs(g) * x.length));
      }
    },
  );

  test.prop([arbCase], { numRuns: 50 })(
    "with weight 0, the loss and every gradient are plain cross-entropy's, bit for bit in f32",
    ({ s, w, tw, batch: { B, T, tokens }, shift, temperature }) => {
      const targets = tokens.map((t, i) => (t + shift + i) % s.vocabSize);
      const teacher = forward(withDepth(s, s.nLayer + 1), tw, tokens, B, T).logits;
      const plain = lossAndGrads(s, w, tokens, targets, B, T),
        kd = lossAndGrads(s, w, tokens, targets, B, T, { logits: teacher, kd: { weight: 0, temperature } });
      expect(kd.loss).toBe(plain.loss);
      for (const [name, g] of Object.entries(plain.grads)) expect(kd.grads[name], name).toEqual(g);
    },
  );
});
