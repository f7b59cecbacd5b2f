/**
 * A packed batch (core/eval/pack.ts) laid out flat for forward passes without a KV cache, many
 * documents per pass (tree packing): each group becomes its prefix, then row 0's tokens, row 1's, …,
 * one after another; groups follow each other in one sequence of at most `passTokens` positions.
 * Token i attends to the keys s ≤ i of two spans, [s0, s1) ∪ [s2, i] (core/ops/attention/attention.ts):
 * its group's prefix and its own segment (a row token: from its row's first token; a prefix token:
 * from the prefix's first token, so it sees the prefix up to itself), and rope (and GPT-2's learned
 * positions) read its position in prefix + row. So every token sees exactly the keys it sees in the
 * full forward of prefix + row, at the same positions, in the same order.
 * A group whose flat length exceeds `groupTokens` is cut into sub-groups of consecutive rows, each
 * repeating the prefix (the attention of a workgroup runs over its group's keys, so a group's length
 * bounds that loop); a lone row longer than that is a sub-group of its own.
 * A query at position pos (≥ p: queries never sit in the prefix) of row r sits at the row's first
 * index + pos − p. Rows keep their order, so each pass holds a contiguous run of the batch's queries,
 * at increasing indices.
 * Pure.
 * @module
 */
import type { PackedBatch } from "./pack.ts";

/** One forward pass: n positions. spans (n, 3): token i sees keys s ≤ i in [spans[3i], spans[3i+1]) ∪ [spans[3i+2], i]. */
export interface PackedPass {
  readonly tokens: Int32Array; // (n)
  readonly positions: Int32Array; // (n) position in its prefix + row
  readonly spans: Int32Array; // (n, 3)
  readonly q0: number; // the batch's queries q0 .. q1 − 1 are this pass's
  readonly q1: number;
  readonly at: Int32Array; // (q1 − q0) index of each of them in the pass
}

export interface LayoutOptions {
  readonly groupTokens: number; // most positions of a (sub-)group, unless one row alone is longer
  readonly passTokens: number; // most positions of a pass, unless one sub-group alone is longer
}

interface Builder {
  tokens: number[];
  positions: number[];
  spans: number[];
  at: number[];
  q0: number;
}

const fresh = (q0: number): Builder => ({ tokens: [], positions: [], spans: [], at: [], q0 });

/** Rows of a group (their indices in the batch) cut into runs whose prefix + rows fit `most` positions. */
const subGroups = (p: number, lengths: ReadonlyArray<number>, most: number): number[][] => {
  const out: number[][] = [];
  let run: number[] = [], n = p;
  lengths.forEach((len, r) => {
    if (run.length > 0 && n + len > most) out.push(run), run = [], n = p;
    run.push(r);
    n += len;
  });
  if (run.length > 0) out.push(run);
  return out;
};

export const layoutPasses = (
  b: Pick<PackedBatch, "groups" | "queries" | "rowStart">,
  o: LayoutOptions,
): PackedPass[] => {
  const out: PackedPass[] = [];
  let cur = fresh(0), row = 0;
  const flush = (q: number) => {
    if (cur.tokens.length === 0) return;
    out.push({
      tokens: Int32Array.from(cur.tokens),
      positions: Int32Array.from(cur.positions),
      spans: Int32Array.from(cur.spans),
      q0: cur.q0,
      q1: q,
      at: Int32Array.from(cur.at),
    });
    cur = fresh(q);
  };
  for (const g of b.groups) {
    const p = g.prefix.length, rows = g.rows;
    for (const run of subGroups(p, rows.map((r) => r.length), o.groupTokens)) {
      const flat = p + run.reduce((n, r) => n + rows[r]!.length, 0);
      if (cur.tokens.length > 0 && cur.tokens.length + flat > o.passTokens) flush(b.rowStart[row + run[0]!]!);
      const g0 = cur.tokens.length;
      g.prefix.forEach((t, j) => (cur.tokens.push(t), cur.positions.push(j), cur.spans.push(g0, g0 + p, g0)));
      for (const r of run) {
        const seg = cur.tokens.length;
        rows[r]!.forEach((t, j) => (cur.tokens.push(t), cur.positions.push(p + j), cur.spans.push(g0, g0 + p, seg)));
        for (let q = b.rowStart[row + r]!; q < b.rowStart[row + r + 1]!; q++) cur.at.push(seg + b.queries[2 * q]! - p);
      }
    }
    row += rows.length;
  }
  flush(b.rowStart[row]!);
  return out;
};
