/**
 * Downstream scoring on the GPU (gpu/eval) against the CPU reference (core/eval):
 * - the target_scores kernel matches its twin on random chunks and queries;
 * - for any model and requests, each request's GPU loglikelihood is within the sum over its tokens of
 *   2·64·(L+1)·K ulps of the row's largest |logit| (the forward's allowance, props/gpu/forward_model.test.ts,
 *   twice: the target's logit and the log-sum-exp each move by at most that) plus the kernel's (V + 8)
 *   ulps of |logp| + that largest |logit|; and its greedy flag is the CPU's wherever every position's
 *   top-two logits are further apart than twice the forward's allowance (closer, f32 may order them either way);
 * - the same for choices after a shared context, which the device reads once per pass (its prefix, then each
 *   choice: gpu/eval/packed_forward.ts), with batches cut into several passes and the binding limit forced to 1 KiB;
 * - the closed-form model gives the hand-checked scores on the device too.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, test as plain } from "vitest";
import { MIN_SHARED, packBatches, shareRows } from "../../../core/eval/pack.ts";
import { scoreRequests } from "../../../core/eval/score_task.ts";
import { createCpuScorer } from "../../../core/eval/scorer.ts";
import { completionDoc, mcDoc } from "../../../core/eval/requests.ts";
import type { TokenRequest } from "../../../core/eval/encode_pair.ts";
import { forward } from "../../../core/model/forward.ts";
import { ffnDim, type ModelSpec } from "../../../core/model/spec.ts";
import type { Weights } from "../../../core/model/tensors.ts";
import { describeTolerance } from "../../../gpu/engine/twin.ts";
import { createGpuScorer } from "../../../gpu/eval/scorer.ts";
import { targetScores } from "../../../gpu/eval/target_scores.ts";
import { unwrap, useGpu } from "../../../test/gpu/_device.ts";
import { A, closedFormLl, L, nextLetterSpec, nextLetterWeights, scoreWith } from "../../../test/eval_fixtures.ts";
import { arbSpec, arbWeights } from "../../core/arbitraries.ts";
import { arbFor, runTwinCase } from "../kernels/_twins.ts";

const gpu = useGpu();
const U = 2 ** -24;

const arbRequests = (s: ModelSpec) =>
  fc.array(
    fc.integer({ min: 1, max: s.blockSize }).chain((n) =>
      fc.record({
        input: fc.array(fc.integer({ min: 0, max: s.vocabSize - 1 }), { minLength: n, maxLength: n }),
        contLen: fc.integer({ min: 1, max: Math.min(3, n) }),
        last: fc.integer({ min: 0, max: s.vocabSize - 1 }),
      })
    ).map(({ input, contLen, last }): TokenRequest => ({
      input: Int32Array.from(input),
      cont: Int32Array.from([...input.slice(input.length - contLen + 1), last]),
    })),
    { minLength: 1, maxLength: 6 },
  );
/**
 * Choices after a shared context longer than MIN_SHARED, so the packer groups them and the device reads
 * the context once (a longer context than arbSpec's, weights drawn for it).
 */
const arbGrouped = arbSpec.filter((s) => s.nEmbd >= 4).map((s): ModelSpec => ({ ...s, blockSize: 32 })).chain((s) => {
  const tok = fc.integer({ min: 0, max: s.vocabSize - 1 });
  return fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    ctx: fc.array(tok, { minLength: MIN_SHARED + 2, maxLength: 24 }), // the prefix stops before ctx's last token
    conts: fc.array(fc.array(tok, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 7 }),
    rows: fc.integer({ min: 1, max: 4 }),
    passTokens: fc.integer({ min: s.blockSize, max: 3 * s.blockSize }), // batches read up to 4 contexts: several passes
    small: fc.boolean(),
  }).map(({ ctx, conts, ...r }) => ({
    ...r,
    reqs: conts.map((c): TokenRequest => ({
      input: Int32Array.from([...ctx, ...c.slice(0, -1)]),
      cont: Int32Array.from(c),
    })),
  }));
});
// C ≥ 4, as the forward property: a LayerNorm over 2 values magnifies rounding without bound.
const arbCase = arbSpec.filter((s) => s.nEmbd >= 4).chain((s) =>
  fc.record({ s: fc.constant(s), w: arbWeights(s), reqs: arbRequests(s), rows: fc.integer({ min: 1, max: 4 }) })
);

/** Per request: the allowance of its loglikelihood, and whether its greedy flag is decidable in f32. */
const allowance = (s: ModelSpec, w: Weights, r: TokenRequest) => {
  const V = s.vocabSize, T = r.input.length, logits = forward(s, w, r.input, 1, T).logits;
  const fwd = 64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T) * U;
  let tol = 0, decidable = true;
  r.cont.forEach((t, j) => {
    const row = Array.from(logits.subarray((T - r.cont.length + j) * V, (T - r.cont.length + j + 1) * V));
    const big = Math.max(...row.map(Math.abs)), sorted = [...row].sort((a, b) => b - a);
    const lse = Math.log(row.reduce((a, z) => a + Math.exp(z - sorted[0]!), 0)) + sorted[0]!;
    tol += 2 * fwd * big + (V + 8) * U * (Math.abs(row[t]! - lse) + big);
    if (V > 1 && sorted[0]! - sorted[1]! <= 2 * fwd * big) decidable = false;
  });
  return { tol, decidable };
};

describe("downstream scoring on the GPU", () => {
  test.prop([arbFor(targetScores)], { numRuns: 24 })(
    `target_scores matches its CPU twin: ${describeTolerance(targetScores.twin.tolerance)}`,
    async (c) => {
      for (const v of await runTwinCase(gpu(), targetScores, c)) expect(v.ratio, v.message).toBeLessThanOrEqual(1);
    },
  );

  test.prop([arbCase], { numRuns: 16 })(
    "for any model and requests, GPU loglikelihoods are the CPU reference's within the forward's and the kernel's allowance, and the greedy flags agree where f32 decides them",
    async ({ s, w, reqs, rows }) => {
      const o = { encode: () => [], bos: 0, rows, maxTokens: 4 * s.blockSize };
      const scorer = unwrap(await createGpuScorer(gpu().kernels, s, w)());
      try {
        const got = unwrap(await scoreRequests(scorer, reqs, o));
        const want = unwrap(await scoreRequests(createCpuScorer(s, w), reqs, o));
        reqs.forEach((r, i) => {
          const a = allowance(s, w, r);
          expect(Math.abs(got.ll[i]! - want.ll[i]!), `request ${i}`).toBeLessThanOrEqual(a.tol);
          if (a.decidable) expect(got.greedy[i], `request ${i} greedy`).toBe(want.greedy[i]);
        });
      } finally {
        scorer.destroy();
      }
    },
  );

  test.prop([arbGrouped], { numRuns: 12 })(
    "for any model and choices after a shared context, read once per pass, in passes cut short and under a small binding limit, the device gives the CPU reference's loglikelihoods within the same allowance",
    async ({ s, w, reqs, rows, passTokens, small }) => {
      const o = { encode: () => [], bos: 0, rows, maxTokens: 4 * s.blockSize };
      // The case is only worth running when the packer did group: some row is read after a cached prefix.
      const grouped = packBatches(reqs, o).some((b) => b.groups.some((g) => g.prefix.length > 0 && g.rows.length > 1));
      expect(grouped || shareRows(reqs).rows.length < 2 || rows === 1).toBe(true);
      const maxBindingBytes = small ? Math.max(1024, gpu().device.limits.minStorageBufferOffsetAlignment) : undefined;
      const scorer = unwrap(await createGpuScorer(gpu().kernels, s, w, { passTokens, maxBindingBytes })());
      try {
        const got = unwrap(await scoreRequests(scorer, reqs, o));
        const want = unwrap(await scoreRequests(createCpuScorer(s, w), reqs, o));
        reqs.forEach((r, i) => {
          const a = allowance(s, w, r);
          expect(Math.abs(got.ll[i]! - want.ll[i]!), `request ${i}`).toBeLessThanOrEqual(a.tol);
          if (a.decidable) expect(got.greedy[i], `request ${i} greedy`).toBe(want.greedy[i]);
        });
      } finally {
        scorer.destroy();
      }
    },
  );

  plain("the closed-form model scores as by hand on the device", async () => {
    const scorer = unwrap(await createGpuScorer(gpu().kernels, nextLetterSpec, nextLetterWeights())());
    try {
      const mc = await scoreWith(scorer, "mc", [mcDoc("Q", ["ab", "z".repeat(12)], 1)]);
      const done = await scoreWith(scorer, "completion", [completionDoc("", "ab"), completionDoc("ab", "d")]);
      const close = (g: number, want: number) => expect(Math.abs(g - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
      close(mc.docs[0]!.loglikelihoods[0]!, closedFormLl(":", " ab"));
      close(mc.docs[0]!.loglikelihoods[1]!, -13 * L);
      expect([mc.metrics.acc, mc.metrics.acc_norm]).toEqual([0, 1]);
      close(done.docs[0]!.loglikelihoods[0]!, 3 * (A - L));
      expect(done.docs.map((d) => d.isGreedy[0])).toEqual([true, false]);
    } finally {
      scorer.destroy();
    }
  });
});
