/**
 * Every CPU reference backward op (core/ops/*_backward.ts) against central finite differences in
 * float64. Each op becomes a scalar loss L = Σ r·op(inputs) with a random r, whose gradient with
 * respect to each input is what the op's backward returns for dy = r.
 * Tolerance: fdTolerance (props/core/model/backward_fd.ts), 1e-6 of the gradient's scale, per coordinate.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { embed } from "../../../core/ops/embed.ts";
import { gelu, geluErf, swiglu } from "../../../core/ops/activations.ts";
import { geluBackward, geluErfBackward, swigluBackward } from "../../../core/ops/activations_backward.ts";
import { causalAttention } from "../../../core/ops/attention/attention.ts";
import { causalAttentionBackward } from "../../../core/ops/attention/attention_backward.ts";
import { embeddingBackward, positionBackward } from "../../../core/ops/embed_backward.ts";
import { linear } from "../../../core/ops/matmul/matmul.ts";
import { linearBackward } from "../../../core/ops/matmul/matmul_backward.ts";
import { crossEntropyRows } from "../../../core/ops/cross_entropy.ts";
import { crossEntropyBackward } from "../../../core/ops/cross_entropy_backward.ts";
import { layerNorm, rmsNorm } from "../../../core/ops/norms/norms.ts";
import { layerNormBackward, rmsNormBackward } from "../../../core/ops/norms/norms_backward.ts";
import { rope, ropeBackward } from "../../../core/ops/rope.ts";
import type { Gpt2Spec } from "../../../core/model/spec.ts";
import { arbF64, centralDifference, dot, fdTolerance, maxAbs } from "./backward_fd.ts";

/** Checks every coordinate of every input against finite differences of loss(). */
const expectMatchesFd = (loss: () => number, inputs: ReadonlyArray<readonly [Float64Array, ArrayLike<number>]>) => {
  for (const [x, g] of inputs) {
    const tol = fdTolerance(maxAbs(g));
    for (let i = 0; i < x.length; i++) expect(Math.abs(g[i]! - centralDifference(loss, x, i))).toBeLessThanOrEqual(tol);
  }
};

const dims = (n: number) => fc.integer({ min: 1, max: n });
const EPS = 1e-5;

describe("CPU reference backward ops match central finite differences in float64", () => {
  test.prop([
    fc.record({ N: dims(3), I: dims(5), O: dims(5) }).chain(({ N, I, O }) =>
      fc.record({
        N: fc.constant(N),
        I: fc.constant(I),
        O: fc.constant(O),
        x: arbF64(N * I),
        w: arbF64(O * I),
        b: arbF64(O),
        r: arbF64(N * O),
      })
    ),
  ])(
    "for any x, W and b, linearBackward gives dL/dx, dL/dW and dL/db of L = Σ r·(x Wᵀ + b)",
    ({ N, I, O, x, w, b, r }) => {
      const g = linearBackward(r, x, w, N, I, O);
      expectMatchesFd(() => dot(r, linear(x, w, b, N, I, O)), [[x, g.dx], [w, g.dw], [b, g.db]]);
    },
  );

  test.prop([
    fc.record({ N: dims(3), C: fc.integer({ min: 2, max: 8 }) }).chain(({ N, C }) =>
      fc.record({
        N: fc.constant(N),
        C: fc.constant(C),
        x: arbF64(N * C, 2),
        w: arbF64(C, 0.5, 1),
        b: arbF64(C, 0.1),
        r: arbF64(N * C),
      })
    ),
  ])(
    "for any generic rows, layerNormBackward gives the gradients of L = Σ r·layerNorm(x; w, b)",
    ({ N, C, x, w, b, r }) => {
      const g = layerNormBackward(r, x, w, N, C, EPS);
      expectMatchesFd(() => dot(r, layerNorm(x, w, b, N, C, EPS)), [[x, g.dx], [w, g.dw], [b, g.db]]);
    },
  );

  test.prop([
    fc.record({ N: dims(3), C: dims(8) }).chain(({ N, C }) =>
      fc.record({ N: fc.constant(N), C: fc.constant(C), x: arbF64(N * C, 2), w: arbF64(C, 0.5, 1), r: arbF64(N * C) })
    ),
  ])(
    "for any generic rows, rmsNormBackward gives the gradients of L = Σ r·rmsNorm(x; w)",
    ({ N, C, x, w, r }) => {
      const g = rmsNormBackward(r, x, w, N, C, EPS);
      expectMatchesFd(() => dot(r, rmsNorm(x, w, N, C, EPS)), [[x, g.dx], [w, g.dw]]);
    },
  );

  test.prop([dims(12).chain((n) => fc.record({ x: arbF64(n, 4), r: arbF64(n) }))])(
    "for any x in ±4, geluBackward gives the gradient of L = Σ r·gelu(x)",
    ({ x, r }) => expectMatchesFd(() => dot(r, gelu(x)), [[x, geluBackward(r, x)]]),
  );

  test.prop([dims(12).chain((n) => fc.record({ x: arbF64(n, 4), r: arbF64(n) }))])(
    "for any x in ±4, geluErfBackward gives the gradient of L = Σ r·geluErf(x) (the float64 erf of core/ops/erf.ts)",
    ({ x, r }) => expectMatchesFd(() => dot(r, geluErf(x)), [[x, geluErfBackward(r, x)]]),
  );

  test.prop([dims(12).chain((n) => fc.record({ gate: arbF64(n, 4), up: arbF64(n, 2), r: arbF64(n) }))])(
    "for any gate and up, swigluBackward gives the gradients of L = Σ r·silu(gate)·up",
    ({ gate, up, r }) => {
      const g = swigluBackward(r, gate, up);
      expectMatchesFd(() => dot(r, swiglu(gate, up)), [[gate, g.dgate], [up, g.dup]]);
    },
  );

  test.prop([
    fc.record({
      T: dims(4),
      H: dims(3),
      half: dims(3),
      pos0: fc.nat(20),
      style: fc.constantFrom("interleaved" as const, "half" as const),
    })
      .chain((c) =>
        fc.record({ c: fc.constant(c), x: arbF64(c.T * c.H * 2 * c.half, 2), r: arbF64(c.T * c.H * 2 * c.half) })
      ),
  ])(
    "for any positions and either pairing, ropeBackward (rotation by −angle) gives the gradient of L = Σ r·rope(x)",
    ({ c: { T, H, half, pos0, style }, x, r }) => {
      const D = 2 * half;
      expectMatchesFd(() => dot(r, rope(x, T, H, D, pos0, 10000, style)), [[
        x,
        ropeBackward(r, T, H, D, pos0, 10000, style),
      ]]);
    },
  );

  test.prop([
    fc.record({ T: dims(4), pos0: fc.nat(3), nKvHead: dims(2), group: dims(3), D: dims(4) }).chain((c) => {
      const S = c.pos0 + c.T, NH = c.nKvHead * c.group;
      return fc.record({
        c: fc.constant(c),
        q: arbF64(c.T * NH * c.D, 1.5),
        k: arbF64(S * c.nKvHead * c.D, 1.5),
        v: arbF64(S * c.nKvHead * c.D),
        r: arbF64(c.T * NH * c.D),
      });
    }),
  ])(
    "for any grouped-query shape and cached prefix, causalAttentionBackward gives dq, dk, dv of L = Σ r·attention(q, k, v)",
    ({ c: { T, pos0, nKvHead, group, D }, q, k, v, r }) => {
      const sh = { T, pos0, nHead: nKvHead * group, nKvHead, headDim: D };
      const g = causalAttentionBackward(r, q, k, v, sh);
      expectMatchesFd(() => dot(r, causalAttention(q, k, v, sh)), [[q, g.dq], [k, g.dk], [v, g.dv]]);
    },
  );

  test.prop([
    fc.record({ N: dims(4), V: fc.integer({ min: 2, max: 10 }) }).chain(({ N, V }) =>
      fc.record({
        N: fc.constant(N),
        V: fc.constant(V),
        logits: arbF64(N * V, 3),
        targets: fc.array(fc.nat(V - 1), { minLength: N, maxLength: N }),
      })
    ),
  ])(
    "for any logits and targets, crossEntropyBackward gives the gradient of the mean loss",
    ({ N, V, logits, targets }) => {
      const t = Int32Array.from(targets);
      const mean = () => crossEntropyRows(logits, t, N, V).reduce((a, b) => a + b, 0) / N;
      expectMatchesFd(mean, [[logits, crossEntropyBackward(logits, t, N, V, 1 / N)]]);
    },
  );

  test.prop([
    fc.record({ B: dims(2), T: dims(4), V: dims(5), C: dims(3) }).chain((c) =>
      fc.record({
        c: fc.constant(c),
        wte: arbF64(c.V * c.C),
        wpe: arbF64(6 * c.C),
        r: arbF64(c.B * c.T * c.C),
        tokens: fc.array(fc.nat(c.V - 1), { minLength: c.B * c.T, maxLength: c.B * c.T }),
      })
    ),
  ])(
    "for any tokens, embeddingBackward and positionBackward give the gradients of the token and position gathers",
    ({ c: { B, T, V, C }, wte, wpe, r, tokens }) => {
      const spec: Gpt2Spec = {
        _tag: "gpt2",
        nLayer: 1,
        nEmbd: C,
        nHead: 1,
        vocabSize: V,
        blockSize: 6,
        normEps: EPS,
        nInner: 1,
      };
      const loss = () =>
        Array.from(
          { length: B },
          (_, b) =>
            dot(r.subarray(b * T * C, (b + 1) * T * C), embed(spec, { wte, wpe }, tokens.slice(b * T, (b + 1) * T), 0)),
        ).reduce((a, x) => a + x, 0);
      expectMatchesFd(loss, [[wte, embeddingBackward(r, tokens, V, C)], [wpe, positionBackward(r, B, T, 6, C)]]);
    },
  );
});
