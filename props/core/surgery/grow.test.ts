import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { firstDepth, growDecision } from "../../../core/surgery/grow.ts";

describe("the paper's growth procedure", () => {
  test.prop([fc.integer({ min: 1, max: 96 })])(
    "for any depth L, the first round inherits ⌈L/2⌉ blocks (GPT-2 Medium: 12 of 24)",
    (L) => {
      expect(firstDepth(L)).toBe(Math.ceil(L / 2));
      expect(firstDepth(24)).toBe(12);
    },
  );
  test.prop([
    fc.integer({ min: 1, max: 96 }).chain((L) => fc.tuple(fc.constant(L), fc.integer({ min: 1, max: L }))),
    fc.double({ noNaN: true, min: 0, max: 10 }),
    fc.double({ noNaN: true, min: 0, max: 10 }),
  ])(
    "for any round, it stops when the target matches the reference, grows by 2 (capped at L) while it does not, and stops at L",
    ([L, n], target, ref) => {
      const d = growDecision(L, n, target, ref);
      if (target <= ref) expect(d).toEqual({ _tag: "done", reason: "matched" });
      else if (n >= L) expect(d).toEqual({ _tag: "done", reason: "full-depth" });
      else expect(d).toEqual({ _tag: "grow", next: Math.min(L, n + 2) });
    },
  );
  test("GPT-2 Medium's path in the paper, 12 → 14 → 16 of 24, follows from losses above then at the reference's", () => {
    const path = [12];
    for (const loss of [2.9, 2.85, 2.81]) {
      const d = growDecision(24, path[path.length - 1]!, loss, 2.81);
      if (d._tag === "grow") path.push(d.next);
    }
    expect(path).toEqual([12, 14, 16]);
  });
});
