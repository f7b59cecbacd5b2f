/**
 * Distillation: the CPU loss's gradient against float64 central differences, the GPU kernel
 * against its CPU twin, and weight 0 giving the plain cross-entropy kernel's bits.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { distillLossAndGrad } from "../../../core/ops/distill.ts";
import { crossEntropyBackward } from "../../../gpu/kernels/cross_entropy_backward.ts";
import { distillBackward } from "../../../gpu/kernels/distill.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { runKernel, worstRatio } from "../../../test/gpu/_run_kernel.ts";

const gpu = useGpu();
const arbRows = fc.record({ N: fc.integer({ min: 1, max: 6 }), V: fc.integer({ min: 2, max: 40 }) }).chain(({ N, V }) =>
  fc.record({
    N: fc.constant(N),
    V: fc.constant(V),
    z: fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: N * V, maxLength: N * V }),
    r: fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: N * V, maxLength: N * V }),
    t: fc.array(fc.nat(V - 1), { minLength: N, maxLength: N }),
    weight: fc.double({ min: 0, max: 1, noNaN: true }),
    tau: fc.double({ min: 0.5, max: 4, noNaN: true }),
  })
);

describe("distillation", () => {
  test.prop([arbRows], { numRuns: 60 })(
    "the CPU gradient matches float64 central differences within 1e-7 of the gradient scale",
    ({ N, V, z, r, t, weight, tau }) => {
      const Z = Float64Array.from(z),
        R = Float64Array.from(r),
        T = Int32Array.from(t),
        kd = { weight, temperature: tau };
      const { dz } = distillLossAndGrad(Z, R, T, N, V, kd, 1 / N);
      const scale = Math.max(0.1, ...Array.from(dz, Math.abs));
      for (let i = 0; i < N * V; i++) {
        const h = 1e-5, up = Z.slice(), dn = Z.slice();
        up[i] = up[i]! + h;
        dn[i] = dn[i]! - h;
        const fd =
          (distillLossAndGrad(up, R, T, N, V, kd, 1 / N).loss - distillLossAndGrad(dn, R, T, N, V, kd, 1 / N).loss) /
          (2 * h);
        expect(Math.abs(fd - dz[i]!)).toBeLessThanOrEqual(1e-7 * scale);
      }
    },
  );

  test.prop([arbRows], { numRuns: 20 })(
    "distill_backward matches its CPU twin within (V + 16) ulps of the gradient scale and the loss's terms",
    async ({ N, V, z, r, t, weight, tau }) => {
      const logits = Float32Array.from(z),
        ref = Float32Array.from(r),
        targets = Int32Array.from(t),
        w = Math.fround(weight),
        tt = Math.fround(tau);
      const out = await runKernel(gpu(), distillBackward, { logits, teacher: ref, targets }, {
        logits: N * V,
        losses: N,
      }, { N, V, row0: 0, scale: Math.fround(1 / N), weight: w, tau: tt });
      const want = distillLossAndGrad(logits, ref, targets, N, V, { weight: w, temperature: tt }, Math.fround(1 / N));
      const gScale = new Float64Array(N * V).fill((1 + w * tt) / N);
      expect(worstRatio(out.logits!, want.dz, gScale, V + 16).ratio).toBeLessThanOrEqual(1);
      const rowLoss = Array.from(
        { length: N },
        (_, n) =>
          distillLossAndGrad(
            logits.subarray(n * V, (n + 1) * V),
            ref.subarray(n * V, (n + 1) * V),
            targets.subarray(n, n + 1),
            1,
            V,
            { weight: w, temperature: tt },
            1,
          ).loss,
      );
      const lScale = rowLoss.map((l) => Math.abs(l) + 12 + 12 * tt * tt);
      expect(worstRatio(out.losses!, rowLoss, lScale, V + 16).ratio).toBeLessThanOrEqual(1);
    },
  );

  test.prop([arbRows], { numRuns: 15 })(
    "with weight 0, distill_backward writes the plain cross-entropy kernel's gradient and loss, bit for bit",
    async ({ N, V, z, r, t, tau }) => {
      const logits = Float32Array.from(z),
        ref = Float32Array.from(r),
        targets = Int32Array.from(t),
        scale = Math.fround(1 / N);
      const kd = await runKernel(gpu(), distillBackward, { logits, teacher: ref, targets }, {
        logits: N * V,
        losses: N,
      }, { N, V, row0: 0, scale, weight: 0, tau: Math.fround(tau) });
      const ce = await runKernel(gpu(), crossEntropyBackward, { logits, targets }, { logits: N * V, losses: N }, {
        N,
        V,
        row0: 0,
        scale,
      });
      expect(kd.logits).toEqual(ce.logits);
      expect(kd.losses).toEqual(ce.losses);
    },
  );
});
