/**
 * Reading a shared prefix once (gpu/eval/prefix_forward.ts) changes no bit: for any model, prefix and
 * rows recorded one after another in one batch, each row's logits after the cached prefix are the
 * full forward's (gpu/model/model.ts) of prefix + row at the same positions, bit for bit, in every
 * kernel family. So downstream scores are today's exactly, and within the CPU reference's allowance
 * (props/gpu/eval/scorer.test.ts) as before.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe } from "vitest";
import type { ModelSpec } from "../../../core/model/spec.ts";
import { wholeRow } from "../../../core/eval/scorer.ts";
import { createBatch, type ReadHandle } from "../../../gpu/engine/batch.ts";
import { createPrefixModel } from "../../../gpu/eval/prefix_forward.ts";
import { KERNEL_PROFILES } from "../../../gpu/kernels/profile.ts";
import { unwrap, useGpu } from "../../../test/gpu/_device.ts";
import { arbHeadSizedSpec, arbWeights } from "../../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "../_models.ts";

const gpu = useGpu();

const arbTokens = (s: ModelSpec, n: number) =>
  fc.array(fc.integer({ min: 0, max: s.vocabSize - 1 }), { minLength: n, maxLength: n }).map((t) => Int32Array.from(t));

/** A prefix of p < blockSize tokens and 1–3 rows that fit after it. */
const arbCase = arbHeadSizedSpec.chain((s) =>
  fc.integer({ min: 0, max: s.blockSize - 1 }).chain((p) =>
    fc.record({
      s: fc.constant(s),
      w: arbWeights(s),
      prefix: arbTokens(s, p),
      rows: fc.array(fc.integer({ min: 1, max: s.blockSize - p }).chain((n) => arbTokens(s, n)), {
        minLength: 1,
        maxLength: 3,
      }),
    })
  )
);

describe.each(KERNEL_PROFILES)("a prefix read once into the KV cache, %s kernels", (profile) => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 12) })(
    "for any model, prefix and rows, each row's logits after the cached prefix are the full forward's of prefix + row, bit for bit",
    async ({ s, w, prefix, rows }) => {
      const pm = unwrap(await createPrefixModel(gpu().kernels, s, w, profile)());
      const full = await gpuModel(gpu(), s, w, { profile });
      try {
        const a = unwrap(pm.activations(Math.max(prefix.length, ...rows.map((r) => r.length))));
        const batch = createBatch(gpu().device, "prefix test");
        if (prefix.length > 0) unwrap(pm.recordPass(batch, 0, a, prefix, 0));
        // Each chunk read as the batch has it right after the row's head (the next row overwrites it).
        const reads: Array<Array<{ h: ReadHandle<"f32">; n: number }>> = rows.map((row, i) =>
          unwrap(pm.recordPass(batch, i + 1, a, row, prefix.length)).map((c) => ({
            h: batch.read(c.tensor),
            n: c.rows,
          }))
        );
        const got = unwrap(await batch.submit()());
        const V = s.vocabSize;
        for (const [i, row] of rows.entries()) {
          const seq = wholeRow(prefix, row);
          const want = unwrap(await full.forward(seq, 1, seq.length)()).logits.subarray(prefix.length * V);
          const mine = Float32Array.from(reads[i]!.flatMap(({ h, n }) => Array.from(got.get(h).subarray(0, n * V))));
          expectBitEqual(`row ${i} logits`, mine, want);
        }
      } finally {
        pm.destroy();
        full.destroy();
      }
    },
  );
});
