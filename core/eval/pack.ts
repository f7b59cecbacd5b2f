/**
 * Packing requests into batches of forward passes that read each shared context once. A causal
 * model's logits at a position depend only on the tokens up to it, so:
 * - a request whose input is a prefix of another's (equal inputs, or one-token choices after the same
 *   context) is read from that request's row (shareRows);
 * - rows that start alike (a multiple-choice document's context, read before each choice) form a
 *   group: their common prefix is read once (on the device, once per pass before its rows: core/eval/packed_layout.ts),
 *   then each row's rest at positions p, p + 1, …; the prefix stops before the group's first query.
 * Rows are grouped in lexicographic order, where rows sharing a prefix are neighbours; a row joins
 * the group before it when that reads fewer tokens than starting a group of its own (k rows sharing p
 * tokens read (k − 1)·p fewer), and a second row joins a lone one only when they share more than
 * MIN_SHARED tokens, since the prefix costs a forward pass of its own. A lone row has an empty prefix.
 * A group holds at most `rows` rows; groups are cut into batches of at most `rows` rows and
 * `maxTokens` positions read (or one group, when it alone reads more).
 * A query is one continuation token: (position in its row's whole sequence, prefix + row, and the token
 * it should predict), the queries of each row consecutive and in position order, rows in batch order;
 * owner[q] is its request.
 * Pure.
 * @module
 */
import type { TokenRequest } from "./encode_pair.ts";

/** Rows that share a prefix: prefix at positions 0 .. p − 1 (no query reads a logit there), each row after it. */
export interface PrefixGroup {
  readonly prefix: Int32Array; // (p)
  readonly rows: ReadonlyArray<Int32Array>; // each (n ≥ 1), read at positions p .. p + n − 1
}

export interface PackedBatch {
  readonly groups: ReadonlyArray<PrefixGroup>;
  readonly tokens: number; // positions read: every prefix once and every row
  readonly queries: Int32Array; // (Q, 2): position in prefix + row, target token
  readonly rowStart: Int32Array; // (R + 1): the queries of the batch's r-th row are rowStart[r] .. rowStart[r + 1]
  readonly owner: Int32Array; // (Q) request index
}

export interface PackOptions {
  readonly rows: number; // most rows in a batch
  readonly maxTokens: number; // most positions read in a batch
}

const isPrefix = (a: Int32Array, b: Int32Array): boolean => a.length <= b.length && a.every((t, i) => t === b[i]);

const lexCompare = (a: Int32Array, b: Int32Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

const commonPrefix = (a: Int32Array, b: Int32Array): number => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
};

/** Rows (the requests whose inputs no other input extends) and the row each request is read from. */
export const shareRows = (reqs: ReadonlyArray<TokenRequest>): { rows: number[]; rowOf: Int32Array } => {
  const live = reqs.map((_, i) => i).filter((i) => reqs[i]!.cont.length > 0);
  const sorted = [...live].sort((i, j) => lexCompare(reqs[i]!.input, reqs[j]!.input) || i - j);
  const rowOf = new Int32Array(reqs.length).fill(-1), rows: number[] = [];
  // In lexicographic order an input's extensions follow it directly, so walking back from the end
  // each request is read from its successor's row when it is a prefix of the successor's input.
  for (let k = sorted.length - 1; k >= 0; k--) {
    const i = sorted[k]!, next = sorted[k + 1];
    if (next !== undefined && isPrefix(reqs[i]!.input, reqs[next]!.input)) rowOf[i] = rowOf[next]!;
    else rowOf[i] = (rows.push(i), i);
  }
  return { rows, rowOf };
};

/**
 * Shared tokens below which two rows are read whole rather than as a prefix and two rests: the
 * prefix's own forward pass (some 50 dispatches, each with a fixed cost) outweighs a few positions.
 */
export const MIN_SHARED = 16;

interface Group {
  readonly rows: number[]; // request indices of the rows, in lexicographic order
  p: number; // shared prefix length
}

/**
 * Rows (in lexicographic order) into groups. `first[r]`: the earliest query position among the
 * requests read from row r, which bounds the group's prefix.
 */
const groupRows = (
  reqs: ReadonlyArray<TokenRequest>,
  rows: ReadonlyArray<number>,
  first: Int32Array,
  most: number,
): Group[] => {
  const out: Group[] = [];
  for (const r of rows) {
    const g = out[out.length - 1], input = reqs[r]!.input;
    if (g !== undefined && g.rows.length < most) {
      const last = reqs[g.rows[g.rows.length - 1]!]!.input, k = g.rows.length;
      const p = Math.min(commonPrefix(last, input), first[r]!, k === 1 ? first[g.rows[0]!]! : g.p);
      // k rows at g.p read Σ len − (k − 1)·g.p; with r at p they read Σ len + len_r − k·p, alone len_r more.
      if (k === 1 ? p > MIN_SHARED : k * p >= (k - 1) * g.p) {
        g.rows.push(r);
        g.p = p;
        continue;
      }
    }
    out.push({ rows: [r], p: 0 });
  }
  return out;
};

export const packBatches = (reqs: ReadonlyArray<TokenRequest>, o: PackOptions): PackedBatch[] => {
  const { rows, rowOf } = shareRows(reqs);
  const readers = new Map<number, number[]>(rows.map((r) => [r, []]));
  const first = new Int32Array(reqs.length).fill(2 ** 30);
  reqs.forEach((q, i) => {
    const row = rowOf[i]!;
    if (row < 0) return;
    readers.get(row)!.push(i);
    first[row] = Math.min(first[row]!, q.input.length - q.cont.length);
  });
  const out: PackedBatch[] = [];
  let groups: PrefixGroup[] = [], tokens = 0, nRows = 0, qs: number[] = [], owner: number[] = [], starts = [0];
  const flush = () => {
    if (groups.length === 0) return;
    out.push({
      groups,
      tokens,
      queries: Int32Array.from(qs),
      rowStart: Int32Array.from(starts),
      owner: Int32Array.from(owner),
    });
    [groups, tokens, nRows, qs, owner, starts] = [[], 0, 0, [], [], [0]];
  };
  const sorted = [...rows].sort((i, j) => lexCompare(reqs[i]!.input, reqs[j]!.input) || i - j);
  for (const g of groupRows(reqs, sorted, first, Math.max(1, o.rows))) {
    const read = g.p + g.rows.reduce((n, r) => n + reqs[r]!.input.length - g.p, 0);
    if (nRows > 0 && (nRows + g.rows.length > o.rows || tokens + read > o.maxTokens)) flush();
    const prefix = reqs[g.rows[0]!]!.input.slice(0, g.p);
    groups.push({ prefix, rows: g.rows.map((r) => reqs[r]!.input.slice(g.p)) });
    tokens += read;
    nRows += g.rows.length;
    for (const r of g.rows) {
      const at: Array<[number, number, number]> = [];
      for (const i of readers.get(r)!) {
        const { input, cont } = reqs[i]!, q0 = input.length - cont.length;
        cont.forEach((t, j) => at.push([q0 + j, t, i]));
      }
      at.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
      for (const [pos, t, i] of at) qs.push(pos, t), owner.push(i);
      starts.push(owner.length);
    }
  }
  flush();
  return out;
};
