/**
 * The documents of a corpus as it is tokenized, for choosing a subset by document
 * (core/select/select_docs.ts): each document's first token position and its exact-text hash
 * (core/select/doc_hash.ts), two float64 per document in growable typed arrays (16 bytes a document:
 * 32 MiB for two million), filled in document order by tokenizeCorpus (token_store.ts).
 * @module
 */
import { textHash } from "../../core/select/doc_hash.ts";
import type { DocTable } from "../../core/select/select_docs.ts";

const grow = (a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> => {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, 2 * a.length));
  b.set(a);
  return b;
};

export interface DocIndex {
  /** A document's text, in reading order. */
  readonly text: (s: string) => void;
  /** A document's first token position, in the same order. */
  readonly start: (at: number) => void;
  /** The training documents, [start, end) clipped to the split's end (the next start, or `total`). */
  readonly table: (trainEnd: number, total: number) => DocTable;
}

export const docIndex = (): DocIndex => {
  let hashes = new Float64Array(1024), starts = new Float64Array(1024), nh = 0, ns = 0;
  return {
    text: (s) => {
      hashes = grow(hashes, nh + 1);
      hashes[nh++] = textHash(s);
    },
    start: (at) => {
      starts = grow(starts, ns + 1);
      starts[ns++] = at;
    },
    table: (trainEnd, total) => {
      let n = 0;
      while (n < ns && starts[n]! < trainEnd) n++;
      const ends = new Float64Array(n);
      for (let i = 0; i < n; i++) ends[i] = Math.min(i + 1 < ns ? starts[i + 1]! : total, trainEnd);
      return { starts: starts.subarray(0, n), ends, hashes: hashes.subarray(0, n) };
    },
  };
};
