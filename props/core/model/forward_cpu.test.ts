import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { decodeStep, startDecoding } from "../../../core/generate/decode.ts";
import { forward } from "../../../core/model/forward.ts";
import { permuteRotaryRows } from "../../../core/model/relayout.ts";
import type { RopeScaling } from "../../../core/model/spec.ts";
import { rope } from "../../../core/ops/rope.ts";
import { arbHeadSizedSpec, arbSpec, arbTokens, arbWeights } from "../arbitraries.ts";

describe("the CPU reference forward", () => {
  test.prop([arbHeadSizedSpec.chain((s) => fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s) }))], {
    numRuns: 100,
  })(
    "for any model (heads of C / NH or of their own width), decoding token by token with the KV cache gives the full forward's logits bit for bit",
    ({ s, w, batch: { T, tokens } }) => {
      const full = forward(s, w, tokens.subarray(0, T), 1, T).logits;
      let st = startDecoding(s);
      for (let t = 0; t < T; t++) {
        const r = decodeStep(s, w, st, tokens[t]!);
        st = r.state;
        expect(r.logits).toEqual(full.slice(t * s.vocabSize, (t + 1) * s.vocabSize));
      }
    },
  );

  test.prop([arbSpec.chain((s) => fc.record({ s: fc.constant(s), w: arbWeights(s), batch: arbTokens(s) }))], {
    numRuns: 50,
  })(
    "for any model and tokens, every logit is finite and sequences of a batch do not see each other",
    ({ s, w, batch: { B, T, tokens } }) => {
      const all = forward(s, w, tokens, B, T).logits;
      expect(all.every(Number.isFinite)).toBe(true);
      const V = s.vocabSize;
      for (let b = 0; b < B; b++) {
        expect(all.slice(b * T * V, (b + 1) * T * V)).toEqual(
          forward(s, w, tokens.slice(b * T, (b + 1) * T), 1, T).logits,
        );
      }
    },
  );

  // Independent of how rope.ts pairs indices: the half-split rotation is the interleaved one
  // applied to a head whose dimensions are permuted so that (j, j + D/2) sit at (2j, 2j + 1).
  test.prop([
    fc.record({
      T: fc.integer({ min: 1, max: 5 }),
      H: fc.integer({ min: 1, max: 3 }),
      half: fc.integer({ min: 1, max: 4 }),
      pos0: fc.nat(20),
    })
      .chain((r) =>
        fc.record({
          r: fc.constant(r),
          x: fc.float32Array({
            minLength: r.T * r.H * 2 * r.half,
            maxLength: r.T * r.H * 2 * r.half,
            noNaN: true,
            min: -4,
            max: 4,
          }),
        })
      ),
  ])(
    "rotary on halves equals rotary on interleaved pairs of the permuted head",
    ({ r: { T, H, half, pos0 }, x }) => {
      const D = 2 * half;
      const perm = (j: number) => (j < half ? 2 * j : 2 * (j - half) + 1); // half index → interleaved index
      const permute = (a: Float32Array, inverse: boolean) => {
        const y = new Float32Array(a.length);
        for (let row = 0; row < T * H; row++) {
          for (let j = 0; j < D; j++) {
            inverse ? (y[row * D + j] = a[row * D + perm(j)]!) : (y[row * D + perm(j)] = a[row * D + j]!);
          }
        }
        return y;
      };
      const viaInterleaved = permute(rope(permute(x, false), T, H, D, pos0, 10000, "interleaved"), true);
      expect(rope(x, T, H, D, pos0, 10000, "half")).toEqual(viaInterleaved);
    },
  );

  // Independent of how rope.ts handles R: a partial rotary is a full rotary of width R on each head's first R
  // dims (a head of R dims, frequencies over R), the other D − R dims copied.
  test.prop([
    fc.record({
      T: fc.integer({ min: 1, max: 4 }),
      H: fc.integer({ min: 1, max: 3 }),
      pairs: fc.integer({ min: 1, max: 3 }),
      keep: fc.integer({ min: 0, max: 3 }),
      pos0: fc.nat(20),
      style: fc.constantFrom("interleaved" as const, "half" as const),
      scaling: fc.constantFrom<RopeScaling | undefined>(
        undefined,
        { kind: "linear", factor: 2 },
        { kind: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 200 },
      ),
    }).chain((r) =>
      fc.record({
        r: fc.constant(r),
        x: fc.float32Array({
          minLength: r.T * r.H * 2 * (r.pairs + r.keep),
          maxLength: r.T * r.H * 2 * (r.pairs + r.keep),
          noNaN: true,
          min: -4,
          max: 4,
        }),
      })
    ),
  ])(
    "a partial rotary of R dims rotates each head's first R dims as a rotary of width R (its rope scaling, if any, on " +
      "the frequencies over R, as transformers scales inv_freq of the rotary dim) and passes the rest through",
    ({ r: { T, H, pairs, keep, pos0, style, scaling }, x }) => {
      const R = 2 * pairs, D = R + 2 * keep, heads = T * H;
      const firstR = Float32Array.from({ length: heads * R }, (_, i) => x[Math.floor(i / R) * D + (i % R)]!);
      const rotated = rope(firstR, T, H, R, pos0, 10000, style, R, scaling);
      const want = Float32Array.from(x, (v, i) => (i % D < R ? rotated[Math.floor(i / D) * R + (i % D)]! : v));
      expect(rope(x, T, H, D, pos0, 10000, style, R, scaling)).toEqual(want);
    },
  );

  // What HF's conversion does to an interleaved model's q/k rows, restricted to the rotating dims: the permuted
  // output rotated on halves is the rotated output permuted (rows of a (T·H·D, 1) matrix are the dims).
  test.prop([
    fc.record({
      T: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 3 }),
      pairs: fc.integer({ min: 1, max: 3 }),
      keep: fc.integer({ min: 0, max: 2 }),
      pos0: fc.nat(20),
    })
      .chain((r) =>
        fc.record({
          r: fc.constant(r),
          x: fc.float32Array({
            minLength: r.T * r.H * 2 * (r.pairs + r.keep),
            maxLength: r.T * r.H * 2 * (r.pairs + r.keep),
            noNaN: true,
            min: -4,
            max: 4,
          }),
        })
      ),
  ])(
    "for a partial rotary, permuting each head's first R rows to the half split turns the interleaved rotary into the half one",
    ({ r: { T, H, pairs, keep, pos0 }, x }) => {
      const R = 2 * pairs, D = R + 2 * keep, P = (a: Float32Array) => permuteRotaryRows(a, T * H, D, 1, R);
      expect(rope(P(x), T, H, D, pos0, 10000, "half", R)).toEqual(P(rope(x, T, H, D, pos0, 10000, "interleaved", R)));
    },
  );
});
