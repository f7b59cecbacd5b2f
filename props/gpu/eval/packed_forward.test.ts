/**
 * Reading many documents per pass (gpu/eval/packed_forward.ts, laid out by core/eval/packed_layout.ts)
 * changes no bit: for any model and any groups (a prefix, possibly empty, and rows after it), several
 * groups to a pass, groups cut into sub-groups that repeat the prefix, passes cut short so a batch takes
 * several, and the binding limit forced down to 1 KiB or left as the adapter's, each row's logits in its
 * pass are the full forward's (gpu/model/model.ts) of prefix + row at the same positions, bit for bit, in
 * every kernel family. So downstream scores are the KV-cache path's, and the plain full forward's, exactly.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { PrefixGroup } from "../../../core/eval/pack.ts";
import { layoutPasses } from "../../../core/eval/packed_layout.ts";
import { wholeRow } from "../../../core/eval/scorer.ts";
import type { ModelSpec } from "../../../core/model/spec.ts";
import { createBatch, type ReadHandle } from "../../../gpu/engine/batch.ts";
import { createPackedModel } from "../../../gpu/eval/packed_forward.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "../../../test/gpu/_device.ts";
import { arbHeadSizedSpec, arbWeights } from "../../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "../_models.ts";

const gpu = useGpu();

const arbTokens = (s: ModelSpec, n: number) =>
  fc.array(fc.integer({ min: 0, max: s.vocabSize - 1 }), { minLength: n, maxLength: n }).map((t) => Int32Array.from(t));

/** A prefix of p < blockSize tokens and 1–4 rows that fit after it. */
const arbGroup = (s: ModelSpec): fc.Arbitrary<PrefixGroup> =>
  fc.integer({ min: 0, max: s.blockSize - 1 }).chain((p) =>
    fc.record({
      prefix: arbTokens(s, p),
      rows: fc.array(fc.integer({ min: 1, max: s.blockSize - p }).chain((n) => arbTokens(s, n)), {
        minLength: 1,
        maxLength: 4,
      }),
    })
  );

const arbCase = arbHeadSizedSpec.chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    groups: fc.array(arbGroup(s), { minLength: 1, maxLength: 4 }),
    groupTokens: fc.integer({ min: 1, max: 2 * s.blockSize }), // below a group's length it cuts it
    passTokens: fc.integer({ min: 1, max: 6 * s.blockSize }), // raised to the longest sub-group below
    small: fc.boolean(), // the binding limit forced to 1 KiB
  })
);

/** Queries at every position of every row (position p + j of prefix + row), with dummy targets. */
const everyPosition = (groups: ReadonlyArray<PrefixGroup>) => {
  const qs: number[] = [], rowStart = [0];
  for (const g of groups) {
    for (const r of g.rows) {
      r.forEach((_, j) => qs.push(g.prefix.length + j, 0));
      rowStart.push(qs.length / 2);
    }
  }
  return { groups, queries: Int32Array.from(qs), rowStart: Int32Array.from(rowStart) };
};

describe.each(MODEL_PROFILES)("many documents per pass, %s kernels", (profile) => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 6) })(
    "for any model and groups, several to a pass, cut into sub-groups and passes, each row's logits are the full forward's of prefix + row, bit for bit",
    async ({ s, w, groups, groupTokens, passTokens: drawn, small }) => {
      const longest = Math.max(groupTokens, ...groups.flatMap((g) => g.rows.map((r) => g.prefix.length + r.length)));
      const passTokens = Math.max(drawn, longest), b = everyPosition(groups);
      const passes = layoutPasses(b, { groupTokens, passTokens });
      const maxBindingBytes = small ? Math.max(1024, gpu().device.limits.minStorageBufferOffsetAlignment) : undefined;
      const pm = unwrap(await createPackedModel(gpu().kernels, s, w, { profile, passTokens, maxBindingBytes })());
      const full = await gpuModel(gpu(), s, w, { profile });
      try {
        expect(pm.passTokens).toBe(passTokens);
        const batch = createBatch(gpu().device, "packed test");
        // Each chunk read as the batch has it right after the pass's head (the next pass overwrites it).
        const reads: Array<Array<{ h: ReadHandle<"f32">; first: number; n: number }>> = passes.map((p, j) =>
          unwrap(pm.recordPass(batch, j, p)).map((c) => ({ h: batch.read(c.tensor), first: c.firstRow, n: c.rows }))
        );
        const got = unwrap(await batch.submit()());
        const V = s.vocabSize;
        /** Logits row i of pass j. */
        const logitsAt = (j: number, i: number): Float32Array => {
          const c = reads[j]!.find((r) => i >= r.first && i < r.first + r.n)!;
          return got.get(c.h).subarray((i - c.first) * V, (i - c.first + 1) * V);
        };
        let r = 0;
        for (const g of groups) {
          for (const row of g.rows) {
            const seq = wholeRow(g.prefix, row);
            const want = unwrap(await full.forward(seq, 1, seq.length)()).logits.subarray(g.prefix.length * V);
            const mine = new Float32Array(row.length * V);
            for (let q = b.rowStart[r]!; q < b.rowStart[r + 1]!; q++) {
              const j = passes.findIndex((p) => q >= p.q0 && q < p.q1);
              mine.set(logitsAt(j, passes[j]!.at[q - passes[j]!.q0]!), (q - b.rowStart[r]!) * V);
            }
            expectBitEqual(`row ${r} logits`, mine, want);
            r++;
          }
        }
      } finally {
        pm.destroy();
        full.destroy();
      }
    },
  );
});
