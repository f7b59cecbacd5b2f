/**
 * Choosing the training subset document by document (issue "Choosing the 0.1%"; PAPER.md, the small
 * subset the paper leaves open). Strategies over the training split's documents:
 *   random    seeded shuffle (core/rng.ts), whole documents
 *   ppl-low   the lowest band of the reference's per-token loss (Marion et al. 2023; Ankner et al. 2024)
 *   ppl-mid   the band around the median loss
 *   ppl-high  the highest band
 * with `dedup` first dropping every document whose exact text hash (core/select/doc_hash.ts) an
 * earlier one has. Documents are taken in the strategy's order until the token budget is met; the
 * last one is cut so every strategy gets exactly the same budget (comparable runs). Pure.
 * Why the band means come out ordered: taking documents lowest score first until a token budget is
 * the greedy solution of a fractional knapsack, so no other choice from the same documents with the
 * same tokens has a lower token-weighted mean score, nor (highest first) a higher one.
 * @module
 */
import { nextU32, seedRng } from "../rng.ts";
import type { Range } from "../train/token_shards.ts";

export const STRATEGIES = ["random", "ppl-low", "ppl-mid", "ppl-high"] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const needsScores = (s: Strategy): boolean => s !== "random";

/** The training documents: [start, end) token positions in corpus order, optional hash and score. */
export interface DocTable {
  readonly starts: ArrayLike<number>;
  readonly ends: ArrayLike<number>;
  readonly hashes?: ArrayLike<number>;
  readonly scores?: ArrayLike<number>; // mean NLL per token under the reference; NaN when unscored
}

export interface SelectOptions {
  readonly strategy: Strategy;
  readonly dedup: boolean;
  readonly budget: number; // tokens
  readonly seed: number;
}

export interface Selection {
  readonly ranges: ReadonlyArray<Range>; // sorted, disjoint, merged
  readonly docs: ReadonlyArray<number>; // chosen documents, in the order taken
  readonly tokens: number;
  readonly candidates: number; // documents left after dedup (and, for a band, with a score)
  readonly duplicates: number; // documents dedup dropped
  /** Ranks of the chosen documents in score order as a share of the candidates, and their score range. */
  readonly band: { readonly quantiles: readonly [number, number]; readonly nll: readonly [number, number] } | null;
  readonly meanNll: number | null; // token-weighted mean score of the chosen tokens; null without scores
}

/** The first document of each exact hash, in corpus order, and how many were dropped. */
export const dedupDocs = (docs: ReadonlyArray<number>, hashes: ArrayLike<number>): number[] => {
  const seen = new Set<number>();
  return docs.filter((d) => !seen.has(hashes[d]!) && (seen.add(hashes[d]!), true));
};

const shuffled = (xs: number[], seed: number): number[] => {
  let rng = seedRng(seed);
  for (let i = xs.length - 1; i > 0; i--) { // Fisher–Yates, as core/train/token_shards.ts selectSubset
    const [u, next] = nextU32(rng);
    rng = next;
    const j = u % (i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
};

/** From the median outwards: m, m+1, m−1, m+2, … so any prefix is a contiguous band around the median. */
const fromMiddle = (sorted: ReadonlyArray<number>): number[] => {
  const out: number[] = [], m = (sorted.length - 1) >> 1;
  for (let k = 0; out.length < sorted.length; k++) {
    const i = k % 2 === 0 ? m - k / 2 : m + (k + 1) / 2;
    if (i >= 0 && i < sorted.length) out.push(sorted[i]!);
  }
  return out;
};

const mergeRanges = (rs: Array<[number, number]>): Array<[number, number]> =>
  rs.sort((a, b) => a[0] - b[0]).reduce<Array<[number, number]>>((acc, r) => {
    const last = acc[acc.length - 1];
    if (last !== undefined && last[1] === r[0]) last[1] = r[1];
    else acc.push([r[0], r[1]]);
    return acc;
  }, []);

/** The documents in the strategy's order (scores sorted ascending, ties by corpus order). */
const ordered = (t: DocTable, pool: number[], o: SelectOptions): number[] => {
  if (o.strategy === "random") return shuffled(pool, o.seed);
  const s = t.scores!, asc = [...pool].sort((a, b) => s[a]! - s[b]! || a - b);
  return o.strategy === "ppl-low" ? asc : o.strategy === "ppl-high" ? asc.reverse() : fromMiddle(asc);
};

export const selectDocuments = (t: DocTable, o: SelectOptions): Selection => {
  const all = Array.from({ length: t.starts.length }, (_, i) => i);
  const unique = o.dedup && t.hashes !== undefined ? dedupDocs(all, t.hashes) : all;
  const pool = needsScores(o.strategy) ? unique.filter((d) => Number.isFinite(t.scores?.[d] ?? NaN)) : unique;
  const order = ordered(t, pool, o), picked: Array<[number, number]> = [], docs: number[] = [];
  let tokens = 0, weighted = 0, scored = 0;
  for (const d of order) {
    if (tokens >= o.budget) break;
    const start = t.starts[d]!, end = Math.min(t.ends[d]!, start + o.budget - tokens);
    if (end <= start) continue;
    picked.push([start, end]), docs.push(d);
    tokens += end - start;
    const s = t.scores?.[d];
    if (s !== undefined && Number.isFinite(s)) {
      [weighted, scored] = [weighted + s * (end - start), scored + end - start];
    }
  }
  return {
    ranges: mergeRanges(picked),
    docs,
    tokens,
    candidates: pool.length,
    duplicates: all.length - unique.length,
    band: needsScores(o.strategy) ? bandOf(t.scores!, pool, docs) : null,
    meanNll: scored > 0 ? weighted / scored : null,
  };
};

/** Where the chosen documents sit among the candidates' scores. */
const bandOf = (scores: ArrayLike<number>, pool: ReadonlyArray<number>, docs: ReadonlyArray<number>) => {
  if (docs.length === 0) return null;
  const lo = docs.reduce((m, d) => Math.min(m, scores[d]!), Infinity);
  const hi = docs.reduce((m, d) => Math.max(m, scores[d]!), -Infinity);
  const below = pool.filter((d) => scores[d]! < lo).length, upTo = pool.filter((d) => scores[d]! <= hi).length;
  return { quantiles: [below / pool.length, upTo / pool.length] as const, nll: [lo, hi] as const };
};
