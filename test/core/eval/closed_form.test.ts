/**
 * Hand-checkable downstream scores: the "next letter" model (test/eval_fixtures.ts), whose
 * log p(v | u) is a − L when v = u + 1 and −L otherwise, scored on the CPU reference through the
 * whole path (requests, _encode_pair, BOS, packing, metrics) on one small document per task type.
 * Allowance 1e-5 relative: the f32 forward rounds a and the norms, a few ulps of each logit.
 * @module
 */
import { describe, expect, test } from "vitest";
import { meanStderr } from "../../../core/eval/metrics.ts";
import { completionDoc, mcDoc, partialDoc } from "../../../core/eval/requests.ts";
import { createCpuScorer } from "../../../core/eval/scorer.ts";
import { A, closedFormLl, L, nextLetterSpec, nextLetterWeights, scoreWith } from "../../eval_fixtures.ts";

const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
const cpu = createCpuScorer(nextLetterSpec, nextLetterWeights());

describe("downstream scores of a model known in closed form, on the CPU reference", () => {
  test("multiple choice: context query + '\\nAnswer:', continuations ' ' + choice; acc picks the likeliest, acc_norm per character", async () => {
    // " ab": ' ' after ':' (−L), 'a' after ' ' (a − L), 'b' after 'a' (a − L): 2a − 3L.
    // " " + 12 × "z": ' ' after ':', z after ' ', then z after z ×11, each −L: −13L.
    const r = await scoreWith(cpu, "mc", [mcDoc("Q", ["ab", "z".repeat(12)], 1)]);
    const d = r.docs[0]!;
    close(d.loglikelihoods[0]!, 2 * A - 3 * L);
    close(d.loglikelihoods[0]!, closedFormLl(":", " ab"));
    close(d.loglikelihoods[1]!, -13 * L);
    expect(d.pred).toBe(0); // 2a − 3L > −13L
    expect(r.metrics.acc).toBe(0);
    // acc_norm divides by the choices' characters (2 and 12): (2a − 3L)/2 < −13L/12 for this a and L.
    expect((2 * A - 3 * L) / 2 < (-13 * L) / 12).toBe(true);
    expect(r.metrics.acc_norm).toBe(1);
    expect(d.isGreedy).toEqual([false, false]);
  });

  test("a query ending in a newline gets 'Answer:' alone", async () => {
    const [a, b] = [
      await scoreWith(cpu, "mc", [mcDoc("Q\n", ["a"], 0)]),
      await scoreWith(cpu, "mc", [mcDoc("Q", ["a"], 0)]),
    ];
    close(a.docs[0]!.loglikelihoods[0]!, closedFormLl(":", " a"));
    close(b.docs[0]!.loglikelihoods[0]!, a.docs[0]!.loglikelihoods[0]!);
  });

  test("partial: the same continuation after each option; an option's trailing space moves into the continuation", async () => {
    // "xy" + " z": ' ' after y (−L), z after ' ' (−L). "x " → "x" + "  z": ' ' after x, ' ' after ' ', z after ' ': −3L.
    const r = await scoreWith(cpu, "partial", [partialDoc(["xy", "x "], "z", 0)]);
    close(r.docs[0]!.loglikelihoods[0]!, -2 * L);
    close(r.docs[0]!.loglikelihoods[1]!, -3 * L);
    expect(r.metrics).toMatchObject({ acc: 1, n: 1 });
    expect(r.metrics.acc_norm).toBeUndefined();
  });

  test("completion: acc is every token greedy, ppl = exp(−mean loglikelihood)", async () => {
    // Empty context: BOS then " ab" (' ' = BOS + 1, a = ' ' + 1, b = a + 1): greedy throughout, 3(a − L).
    // "ab" + " d": ' ' after b (−L), d after ' ' (−L): not greedy.
    const r = await scoreWith(cpu, "completion", [completionDoc("", "ab"), completionDoc("ab", "d")]);
    close(r.docs[0]!.loglikelihoods[0]!, 3 * (A - L));
    expect(r.docs[0]!.isGreedy).toEqual([true]);
    expect(r.docs[1]!.isGreedy).toEqual([false]);
    expect(r.docs.map((d) => d.pred)).toEqual([0, -1]);
    expect(r.metrics.acc).toBe(0.5);
    close(r.metrics.ppl!, Math.exp(-(3 * (A - L) - 2 * L) / 2));
    close(r.metrics.acc_stderr!, 0.5); // scores 1, 0: sample sd √0.5, over √2
  });

  test("acc_stderr is the harness's mean_stderr: sample standard deviation (n − 1) over √n", () => {
    expect(meanStderr([1, 0, 1, 1])).toBeCloseTo(0.25, 12); // sd = √(0.75 / 3) = 0.5, / √4
    expect(meanStderr([1, 1, 1])).toBe(0);
    const xs = [1, 0, 0, 1, 1, 0, 1, 1, 1, 0], p = 0.6;
    expect(meanStderr(xs)).toBeCloseTo(Math.sqrt((p * (1 - p)) / (xs.length - 1)), 12);
  });
});
