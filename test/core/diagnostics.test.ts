/**
 * The block diagnostics on hand-built cases with known answers.
 * @module
 */
import { describe, expect, test } from "vitest";
import { singularValues } from "../../adapters/analysis/attention_rank.ts";
import { attentionMatrices, blockInfluence, columnShare90, rank90 } from "../../core/surgery/diagnostics.ts";
import { forward } from "../../core/model/forward.ts";
import { chooseBlocks, parseStrategy } from "../../core/surgery/strategies.ts";
import type { Gpt2Spec } from "../../core/model/spec.ts";
import { allTensors, numel } from "../../core/model/tensors.ts";

const T = 8;
const spec: Gpt2Spec = {
  _tag: "gpt2",
  nLayer: 2,
  nEmbd: 8,
  nHead: 2,
  vocabSize: 11,
  blockSize: T,
  nInner: 16,
  normEps: 1e-5,
};
const weights = (edit: (name: string, a: Float32Array) => void) =>
  Object.fromEntries(
    allTensors(spec).map((t, k) => {
      const a = Float32Array.from(
        { length: numel(t.shape) },
        (_, i) => (t.shape.length === 1 && !/b$/.test(t.name) ? 1 : 0.3 * Math.sin(7 * k + 3 * i + 1)),
      );
      edit(t.name, a);
      return [t.name, a];
    }),
  );
const tokens = Int32Array.from({ length: 2 * T }, (_, i) => (i * 5) % 11);

describe("attention measures on matrices with known answers", () => {
  test("all attention on the first token is rank 1 and needs 1 of T columns", () => {
    const P = new Float64Array(T * T);
    for (let t = 0; t < T; t++) P[t * T] = 1;
    expect(rank90(singularValues(P, T))).toBe(1);
    expect(columnShare90(P, T)).toBe(1 / T);
  });
  test("each token attending only to itself spreads the energy over all T directions", () => {
    const P = new Float64Array(T * T);
    for (let t = 0; t < T; t++) P[t * T + t] = 1;
    expect(rank90(singularValues(P, T))).toBe(Math.ceil(0.9 * T));
    expect(columnShare90(P, T)).toBe(Math.ceil(0.9 * T) / T);
  });
});

describe("block measures on hand-built models", () => {
  test("a block whose query weights are zero attends uniformly over the tokens it may see", () => {
    const w = weights((n, a) => {
      if (n === "h.1.qkvw") a.fill(0, 0, 8 * 8);
      if (n === "h.1.qkvb") a.fill(0, 0, 8);
    });
    const x = forward(spec, w, tokens, 2, T, { stream: true }).stream![1]!;
    for (const P of attentionMatrices(spec, w, 1, x, 2, T)) {
      for (let t = 0; t < T; t++) {
        for (let s = 0; s < T; s++) expect(P[t * T + s]).toBeCloseTo(s <= t ? 1 / (t + 1) : 0, 15);
      }
    }
  });
  test("a block whose output projections are zero is the identity: influence 0, and the early exit does not move", () => {
    const w = weights((n, a) => {
      if (/^h\.0\.(attproj|fcproj)/.test(n)) a.fill(0);
    });
    const st = forward(spec, w, tokens, 2, T, { stream: true }).stream!;
    expect(st[1]).toEqual(st[0]);
    expect(blockInfluence(st[0]!, st[1]!, spec.nEmbd)).toBe(0);
    expect(blockInfluence(st[1]!, st[2]!, spec.nEmbd)).toBeGreaterThan(0);
  });
});

describe("selection strategies", () => {
  const reports = [0.5, 0.1, 0.9, 0.3, 0.7].map((x, block) => ({
    block,
    headRanks: [x],
    maxRank: 10 * (1 - x),
    columnShare: 0.5,
    influence: x,
    earlyExitLoss: 3,
  }));
  const blocks = (text: string) => {
    const st = parseStrategy(text);
    if (st._tag === "Left") throw new Error(st.left.message);
    const c = chooseBlocks(st.right, 5, reports);
    if (c._tag === "Left") throw new Error(c.left.message);
    return c.right.selection._tag === "first"
      ? Array.from({ length: c.right.selection.n }, (_, i) => i)
      : c.right.selection.indices;
  };
  test("first, every, influence and rank pick the blocks they say, in the reference's order", () => {
    expect(blocks("3")).toEqual([0, 1, 2]);
    expect(blocks("first:3")).toEqual([0, 1, 2]);
    expect(blocks("every:2")).toEqual([0, 2, 4]);
    expect(blocks("influence:3")).toEqual([0, 2, 4]);
    expect(blocks("rank:2")).toEqual([1, 3]);
    expect(blocks("4,1")).toEqual([4, 1]);
  });
  test("influence without diagnostics, or too many blocks, is refused", () => {
    const st = parseStrategy("influence:2");
    expect(st._tag === "Right" && chooseBlocks(st.right, 5)._tag).toBe("Left");
    const big = parseStrategy("rank:6");
    expect(big._tag === "Right" && chooseBlocks(big.right, 5, reports)._tag).toBe("Left");
    expect(parseStrategy("best:2")._tag).toBe("Left");
  });
});
