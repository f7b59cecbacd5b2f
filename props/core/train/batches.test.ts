/**
 * Batches from a token stream (core/train/batches.ts): windows are slices of the stream with targets
 * shifted by one; the same seed gives the same batches; a saved RNG state continues the very same
 * sequence; evaluation windows are fixed.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { evalBatches, evalStarts, trainBatches } from "../../../core/train/batches.ts";
import { seedRng } from "../../../core/rng.ts";

/** A stream of at least T+1 tokens, B, T, K and a seed, by construction. */
const arbCase = fc.record({
  T: fc.integer({ min: 1, max: 16 }),
  B: fc.integer({ min: 1, max: 4 }),
  K: fc.integer({ min: 1, max: 3 }),
  seed: fc.nat(),
  extra: fc.nat(200),
})
  .chain((c) =>
    fc.array(fc.nat(511), { minLength: c.T + 1 + c.extra, maxLength: c.T + 1 + c.extra }).map((xs) => ({
      ...c,
      stream: Uint16Array.from(xs),
    }))
  );

const draw = (c: { stream: Uint16Array; K: number; B: number; T: number }, rng: bigint, steps: number) => {
  const out = [];
  for (let i = 0; i < steps; i++) {
    const r = trainBatches(c.stream, c.K, c.B, c.T, rng);
    out.push(r.batches);
    rng = r.rng;
  }
  return { batches: out, rng };
};

describe("training batches", () => {
  test.prop([arbCase])(
    "for any stream, every row is a window of the stream and its targets are the next tokens",
    (c) => {
      for (const mb of trainBatches(c.stream, c.K, c.B, c.T, seedRng(c.seed)).batches) {
        expect(mb.tokens.length).toBe(c.B * c.T);
        for (let b = 0; b < c.B; b++) {
          const row = mb.tokens.subarray(b * c.T, (b + 1) * c.T), tgt = mb.targets.subarray(b * c.T, (b + 1) * c.T);
          expect(Array.from(tgt.subarray(0, c.T - 1))).toEqual(Array.from(row.subarray(1)));
          const starts = Array.from({ length: c.stream.length - c.T }, (_, s) => s);
          expect(
            starts.some((s) =>
              c.stream.subarray(s, s + c.T).every((x, i) => x === row[i]) && c.stream[s + c.T] === tgt[c.T - 1]
            ),
          ).toBe(true);
        }
      }
    },
  );
  test.prop([arbCase, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })])(
    "for any seed, drawing k steps, saving the RNG state and drawing n more gives the batches of k+n uninterrupted steps",
    (c, k, n) => {
      const whole = draw(c, seedRng(c.seed), k + n);
      const first = draw(c, seedRng(c.seed), k);
      const saved = BigInt(`0x${first.rng.toString(16)}`); // a state as a checkpoint stores it (hex text)
      const rest = draw(c, saved, n);
      expect([...first.batches, ...rest.batches]).toEqual(whole.batches);
      expect(rest.rng).toBe(whole.rng);
      expect(draw(c, seedRng(c.seed), k + n)).toEqual(whole);
    },
  );
  test("different seeds draw different windows from a long stream", () => {
    const stream = Uint16Array.from({ length: 10_000 }, (_, i) => i % 500);
    const [a, b] = [1, 2].map((s) => trainBatches(stream, 1, 8, 16, seedRng(s)).batches[0]!.tokens);
    expect(a).not.toEqual(b);
  });
});

describe("evaluation batches", () => {
  test.prop([arbCase, fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined })])(
    "for any stream, evaluation windows start at 0, T, 2T, … within the stream, at most ⌈N/T⌉ of them, the same every time",
    (c, maxTokens) => {
      const bs = [...evalBatches(c.stream, c.B, c.T, maxTokens)];
      expect([...evalBatches(c.stream, c.B, c.T, maxTokens)]).toEqual(bs);
      const starts = evalStarts(c.stream.length, c.T, maxTokens);
      expect(bs.reduce((n, b) => n + b.rows, 0)).toBe(starts.length);
      expect(starts.length).toBeLessThanOrEqual(Math.ceil((maxTokens ?? Infinity) / c.T));
      expect(starts.length).toBeGreaterThanOrEqual(Math.min(1, maxTokens ?? 1)); // the stream holds at least one window
      starts.forEach((s, i) => expect([s, s + c.T + 1 <= c.stream.length]).toEqual([i * c.T, true]));
      bs.forEach((b, j) =>
        expect(Array.from(b.batch.tokens.subarray(0, c.T))).toEqual(
          Array.from(c.stream.subarray(j * c.B * c.T, j * c.B * c.T + c.T)),
        )
      );
    },
  );
});
