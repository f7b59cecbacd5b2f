/**
 * The merge step shared by the rank-ordered BPEs (GPT-2's byte BPE, tokenizer.json's BPE model):
 * symbols are small integers (ids of pieces), a merge is the integer pair a·S + b → its rank, and a
 * word is an Int32Array of symbols merged in place. Two orders exist and both are kept:
 * - every occurrence: GPT-2's encoder.py merges the best pair everywhere, left to right, at once;
 * - one at a time: the Hugging Face library merges the leftmost best pair, then looks again (a
 *   join ranked before its parts can then apply between two occurrences).
 * They agree whenever every merge is ranked after the merges that made its parts (trained files).
 * Negative symbols stand for characters no merge names (they never merge).
 * @module
 */

export interface PairTable {
  readonly symbols: number; // S: symbols are 0..S−1
  readonly rank: ReadonlyMap<number, number>; // a·S + b → rank
  readonly left: Int32Array; // by rank
  readonly right: Int32Array;
  readonly joined: Int32Array;
}

/**
 * The table of `merges` (in rank order, [a, b, a+b] as symbols; a merge with a part of −1 can never
 * apply and is left out). A later duplicate wins, as in a Map built in rank order.
 */
export const pairTable = (symbols: number, merges: ReadonlyArray<readonly [number, number, number]>): PairTable => {
  const rank = new Map<number, number>(), n = merges.length;
  const left = new Int32Array(n), right = new Int32Array(n), joined = new Int32Array(n);
  merges.forEach(([a, b, m], r) => {
    if (a < 0 || b < 0 || m < 0) return;
    [left[r], right[r], joined[r]] = [a, b, m];
    rank.set(a * symbols + b, r);
  });
  return { symbols, rank, left, right, joined };
};

/** The best-ranked adjacent pair's rank and leftmost position in s[0, n), or at = −1 when none is ranked. */
const bestPair = (t: PairTable, s: Int32Array, n: number): { rank: number; at: number } => {
  let best = Infinity, at = -1;
  for (let i = 0; i + 1 < n; i++) {
    const a = s[i]!, b = s[i + 1]!;
    if (a < 0 || b < 0) continue;
    const r = t.rank.get(a * t.symbols + b);
    if (r !== undefined && r < best) [best, at] = [r, i];
  }
  return { rank: best, at };
};

/** Merge s[0, n) in place until no ranked pair is left; returns the new length. */
export const mergeByRank = (t: PairTable, s: Int32Array, n: number, everyOccurrence: boolean): number => {
  for (;;) {
    const { rank, at } = bestPair(t, s, n);
    if (at < 0) return n;
    const a = t.left[rank]!, b = t.right[rank]!, m = t.joined[rank]!;
    let w = at;
    for (let i = at; i < n; i++) {
      if (i + 1 < n && s[i] === a && s[i + 1] === b && (everyOccurrence || i === at)) s[w++] = m, i++;
      else s[w++] = s[i]!;
    }
    n = w;
  }
};
