/**
 * Packing requests into forward passes. A causal model's logits at a position depend only on the
 * tokens up to it, so a request whose input is a prefix of another's (the same context read before
 * different one-token choices, or equal inputs) is read from that request's row: the shared context is
 * scored once. Rows are sorted longest first and cut into batches of B rows of T positions, T the
 * longest row's length rounded up to a few bucket sizes and B fixed per T, so a device sees few
 * distinct (B, T) shapes (a GPU model keeps activations per shape). Rows end in padding (token 0),
 * which no query reads and no earlier position sees.
 * A query is one continuation token: (position in the flat B·T batch, the token it should predict),
 * sorted by position; owner[q] is its request. Pure.
 * @module
 */
import type { TokenRequest } from "./encode_pair.ts";

export interface PackedBatch {
  readonly B: number;
  readonly T: number;
  readonly live: number; // rows holding tokens (the rest are padding rows)
  readonly tokens: Int32Array; // (B, T)
  readonly queries: Int32Array; // (Q, 2): flat position, target token
  readonly owner: Int32Array; // (Q) request index
}

export interface PackOptions {
  readonly rows: number; // most rows in a batch
  readonly maxTokens: number; // most B·T positions in a batch (bounds the (B·T, V) logits)
  readonly blockSize: number;
}

/** Row lengths a batch is padded to: 16, 32, 48, 64, then ×1.5 and ×2 steps (96, 128, 192, 256, …), capped. */
export const bucketLength = (n: number, blockSize: number): number => {
  let b = 16;
  while (b < n) b = b < 64 ? b + 16 : (b & (b - 1)) === 0 ? (b * 3) / 2 : (b * 4) / 3;
  return Math.min(b, blockSize);
};

const isPrefix = (a: Int32Array, b: Int32Array): boolean => a.length <= b.length && a.every((t, i) => t === b[i]);

const lexCompare = (a: Int32Array, b: Int32Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
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

export const packBatches = (reqs: ReadonlyArray<TokenRequest>, o: PackOptions): PackedBatch[] => {
  const { rows, rowOf } = shareRows(reqs);
  rows.sort((i, j) => reqs[j]!.input.length - reqs[i]!.input.length || i - j);
  const readers = new Map<number, number[]>();
  reqs.forEach((_, i) => {
    const row = rowOf[i]!;
    if (row >= 0) readers.has(row) ? readers.get(row)!.push(i) : readers.set(row, [i]);
  });
  const out: PackedBatch[] = [];
  for (let start = 0; start < rows.length;) {
    const T = bucketLength(reqs[rows[start]!]!.input.length, o.blockSize);
    const full = Math.max(1, Math.min(o.rows, Math.floor(o.maxTokens / T)));
    const live = Math.min(full, rows.length - start);
    // A last, partial batch gets the next power of two rows, so its shape is one of few.
    const B = live === full ? full : Math.min(full, 2 ** Math.ceil(Math.log2(live)));
    const tokens = new Int32Array(B * T), qs: Array<[number, number, number]> = [];
    for (let r = 0; r < live; r++) {
      const row = rows[start + r]!;
      tokens.set(reqs[row]!.input, r * T);
      for (const i of readers.get(row)!) {
        const { input, cont } = reqs[i]!, first = input.length - cont.length;
        cont.forEach((t, j) => qs.push([r * T + first + j, t, i]));
      }
    }
    qs.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
    out.push({
      B,
      T,
      live,
      tokens,
      queries: Int32Array.from(qs.flatMap(([p, t]) => [p, t])),
      owner: Int32Array.from(qs.map((q) => q[2])),
    });
    start += live;
  }
  return out;
};
