/**
 * Splitting a tensor over several bindings: whole rows, aligned offsets, no gap, no overlap.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { splitForBinding } from "../../gpu/mod.ts";

const arbSplit = fc.record({
  rows: fc.integer({ min: 1, max: 5000 }),
  rowElements: fc.integer({ min: 1, max: 300 }),
  bytesPerElement: fc.constant(4),
  offsetAlignment: fc.constantFrom(4, 16, 32, 256),
}).chain((r) =>
  fc.record({
    ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fc.constant(v)])) as {
      [K in keyof typeof r]: fc.Arbitrary<number>;
    },
    // at least one aligned group of rows fits, by construction
    maxBindingBytes: fc.integer({
      min: r.rowElements * 4 * r.offsetAlignment,
      max: r.rowElements * 4 * r.offsetAlignment * 8,
    }),
  })
);

test.prop([arbSplit])(
  "for any rows and a binding limit that holds an aligned row group, the views cover every row once, in order, within the limit, at aligned offsets",
  (r) => {
    const spans = splitForBinding(r);
    const rowBytes = r.rowElements * r.bytesPerElement;
    let next = 0;
    for (const s of spans) {
      expect(s.firstRow).toBe(next);
      expect(s.offsetBytes).toBe(s.firstRow * rowBytes);
      expect(s.sizeBytes).toBe(s.rows * rowBytes);
      expect(s.sizeBytes).toBeLessThanOrEqual(r.maxBindingBytes);
      expect(s.offsetBytes % r.offsetAlignment).toBe(0);
      expect(s.rows).toBeGreaterThan(0);
      next += s.rows;
    }
    expect(next).toBe(r.rows);
  },
);

test("a tensor that fits one binding is one view; a row group larger than a binding cannot be split", () => {
  expect(splitForBinding({ rows: 10, rowElements: 8, bytesPerElement: 4, maxBindingBytes: 320, offsetAlignment: 256 }))
    .toEqual([
      { firstRow: 0, rows: 10, offsetBytes: 0, sizeBytes: 320 },
    ]);
  expect(() =>
    splitForBinding({ rows: 100, rowElements: 3, bytesPerElement: 4, maxBindingBytes: 512, offsetAlignment: 256 })
  )
    .toThrow(/Cannot split/);
});
