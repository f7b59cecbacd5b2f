/**
 * Which blocks to inherit (the paper keeps a prefix; its limitations leave the choice open):
 *   first:n      the first n blocks (the paper; "n" alone means the same)
 *   every:k      blocks 0, k, 2k, … (DistilBERT keeps every other layer: every:2)
 *   influence:n  the n blocks with the largest block influence (ShortGPT drops the least influential)
 *   rank:n       the n least lazy blocks: largest max-over-heads attention rank (the paper's v4 measure)
 *   i,j,k        an explicit ordered list (i+j+k inside a comma-separated --strategies list)
 * Chosen blocks keep the reference's order. Measures come from core/surgery/diagnostics.ts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { BlockReport } from "./diagnostics.ts";
import { type AppError, appError } from "../errors.ts";
import type { Selection } from "./plan.ts";

export type Strategy =
  | { readonly _tag: "first"; readonly n: number }
  | { readonly _tag: "every"; readonly k: number }
  | { readonly _tag: "influence"; readonly n: number }
  | { readonly _tag: "rank"; readonly n: number }
  | { readonly _tag: "list"; readonly blocks: ReadonlyArray<number> };

const bad = (text: string) =>
  appError(
    "BadArgs",
    `Cannot read the block selection "${text}"`,
    "use first:n, every:k, influence:n, rank:n, a count n or a list i,j,k",
  );

export const parseStrategy = (text: string): E.Either<AppError, Strategy> => {
  const t = text.trim(), m = /^(first|every|influence|rank):(\d+)$/.exec(t);
  if (m) {
    const v = Number(m[2]);
    return E.right(m[1] === "every" ? { _tag: "every", k: v } : { _tag: m[1] as "first" | "influence" | "rank", n: v });
  }
  if (/^\d+$/.test(t)) return E.right({ _tag: "first", n: Number(t) });
  if (/^\d+(\s*[,+]\s*\d+)+$/.test(t)) {
    return E.right({
      _tag: "list",
      blocks: t.split(/[,+]/).map((x) => Number(x.trim())),
    });
  }
  return E.left(bad(text));
};

export const needsDiagnostics = (s: Strategy): boolean => s._tag === "influence" || s._tag === "rank";

export const strategyName = (s: Strategy): string =>
  s._tag === "list" ? s.blocks.join(",") : s._tag === "every" ? `every:${s.k}` : `${s._tag}:${s.n}`;

/** The n best blocks by a score (largest first, ties to the earlier block), returned in block order. */
const topBy = (reports: ReadonlyArray<BlockReport>, n: number, score: (r: BlockReport) => number): number[] =>
  [...reports].sort((a, b) => score(b) - score(a) || a.block - b.block).slice(0, n).map((r) => r.block).sort((a, b) =>
    a - b
  );

/** The selection a strategy makes on a reference of L blocks, and why; diagnostics when it needs them. */
export const chooseBlocks = (
  st: Strategy,
  L: number,
  reports?: ReadonlyArray<BlockReport>,
): E.Either<AppError, { selection: Selection; reason: string }> => {
  const count = (
    n: number,
  ) => (Number.isInteger(n) && n >= 1 && n <= L ? E.right(n) : E.left(
    appError(
      "BadPlan",
      `Cannot inherit ${n} blocks: the reference has ${L} blocks`,
      "choose between 1 and the reference's depth",
    ),
  ));
  switch (st._tag) {
    case "first": // checked against the depth by core/surgery/plan.ts
      return E.right({
        selection: { _tag: "first", n: st.n },
        reason: `the first ${st.n} blocks (the paper's prefix)`,
      });
    case "list":
      return E.right({ selection: { _tag: "blocks", indices: st.blocks }, reason: "blocks listed by the user" });
    case "every":
      return st.k >= 1
        ? E.right({
          selection: { _tag: "blocks", indices: Array.from({ length: Math.ceil(L / st.k) }, (_, j) => j * st.k) },
          reason: `every ${st.k}-th block from block 0 (DistilBERT's pattern)`,
        })
        : E.left(appError("BadPlan", `Cannot keep every ${st.k}th block`, "every:k needs k ≥ 1"));
    case "influence":
    case "rank": {
      if (reports === undefined || reports.length !== L) {
        return E.left(
          appError(
            "BadPlan",
            `Cannot choose ${strategyName(st)}: it needs the reference's block diagnostics`,
            "pass --data so the blocks can be measured",
          ),
        );
      }
      const by = st._tag === "influence" ? (r: BlockReport) => r.influence : (r: BlockReport) => r.maxRank;
      return E.map((n: number) => {
        const blocks = topBy(reports, n, by);
        const what = st._tag === "influence"
          ? "largest block influence (1 − cos(in, out))"
          : "largest max-over-heads attention rank (least lazy)";
        return {
          selection: { _tag: "blocks", indices: blocks } as Selection,
          reason: `the ${n} blocks with the ${what}: ${
            blocks.map((b) => `${b} (${by(reports[b]!).toFixed(3)})`).join(", ")
          }`,
        };
      })(count(st.n));
    }
  }
};
