/**
 * Each training document's mean loss under a reference model (core/select/doc_requests.ts), scored
 * in batches on a Scorer (the device's, gpu/eval/scorer.ts, or the CPU reference) with the packing
 * and batching `eval --tasks` uses (core/eval/pack.ts, score_task.ts scoreRequests). The training
 * split is streamed from the shards in corpus order and documents are scored `groupDocs` at a time,
 * so memory holds one group's first windows, not the corpus.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { AppError } from "../../core/errors.ts";
import { scoreRequests } from "../../core/eval/score_task.ts";
import type { Scorer } from "../../core/eval/scorer.ts";
import type { TokenRequest } from "../../core/eval/encode_pair.ts";
import { docRequest, meanNll } from "../../core/select/doc_requests.ts";
import type { DocTable } from "../../core/select/select_docs.ts";
import { type Manifest, readTokens } from "./token_store.ts";

export interface ScoreDocsOptions {
  readonly bos: number;
  readonly rows: number; // rows per forward pass
  readonly maxTokens: number; // B·T per forward pass at most
  readonly groupDocs?: number; // documents per scoring group (default 1024)
  readonly onProgress?: (done: number, total: number) => void;
}

/** Mean NLL (nats/token) of every document of `t`, in order; NaN for a document with nothing to predict. */
export const scoreDocuments = async (
  dir: string,
  m: Manifest,
  t: DocTable,
  scorer: Scorer,
  o: ScoreDocsOptions,
): Promise<E.Either<AppError, Float64Array>> => {
  const n = t.starts.length, scores = new Float64Array(n).fill(NaN), window = scorer.spec.blockSize + 1;
  const end = n === 0 ? 0 : t.ends[n - 1]!;
  let buf = new Int32Array(0), base = 0, next = 0, reqs: TokenRequest[] = [], first = 0;
  const flush = async (): Promise<E.Either<AppError, void>> => {
    const r = await scoreRequests(scorer, reqs, o);
    if (E.isLeft(r)) return r;
    reqs.forEach((q, i) => (scores[first + i] = q.cont.length > 0 ? meanNll(r.right.ll[i]!, q.cont.length) : NaN));
    [first, reqs] = [first + reqs.length, []];
    o.onProgress?.(first, n);
    return E.right(undefined);
  };
  for await (const chunk of readTokens(dir, m, end > 0 ? [[0, end]] : [])) {
    if (E.isLeft(chunk)) return chunk;
    const joined = new Int32Array(buf.length + chunk.right.length);
    joined.set(buf), joined.set(chunk.right, buf.length);
    buf = joined;
    // Every document whose first window is buffered becomes a request.
    while (next < n && Math.min(t.ends[next]!, t.starts[next]! + window) <= base + buf.length) {
      const s = t.starts[next]! - base, e = Math.min(t.ends[next]!, t.starts[next]! + window) - base;
      reqs.push(docRequest(buf.subarray(s, e), o.bos, scorer.spec.blockSize));
      next++;
      if (reqs.length >= (o.groupDocs ?? 1024)) {
        const f = await flush();
        if (E.isLeft(f)) return f;
      }
    }
    // Tokens before the next document's start are done (all of them while a long document's tail streams past).
    const keep = next < n ? Math.min(t.starts[next]! - base, buf.length) : buf.length;
    [buf, base] = [buf.slice(keep), base + keep];
  }
  if (reqs.length > 0) {
    const f = await flush();
    if (E.isLeft(f)) return f;
  }
  return E.right(scores);
};
