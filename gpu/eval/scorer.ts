/**
 * A Scorer (core/eval/scorer.ts) on the device: each group's prefix read once into the KV cache, with
 * its first row, and each other row after it (gpu/eval/prefix_forward.ts), and after each pass's head the target_scores kernel
 * on its logits for the row's queries; the whole packed batch in one submit and a readback of 2·Q
 * numbers. Query buffers grow by powers of two and are kept, as the activations per size.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { PackedBatch } from "../../core/eval/pack.ts";
import { type Scorer, wholeRow } from "../../core/eval/scorer.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { type Batch, createBatch, type Readbacks } from "../engine/batch.ts";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import type { Activations } from "../model/activations.ts";
import { createPrefixModel, type PrefixModel } from "./prefix_forward.ts";
import { targetScores } from "./target_scores.ts";

interface QueryBuffers {
  readonly capacity: number;
  readonly queries: GpuTensor<"i32">;
  readonly logp: GpuTensor<"f32">;
  readonly greedy: GpuTensor<"i32">;
}

const makeBuffers = (device: GPUDevice, capacity: number): E.Either<GpuError, QueryBuffers> =>
  pipe(
    E.Do,
    E.apS("queries", createTensor(device, "score queries", [2 * capacity], "i32")),
    E.apS("logp", createTensor(device, "score logp", [capacity], "f32")),
    E.apS("greedy", createTensor(device, "score greedy", [capacity], "i32")),
    E.map((b) => ({ capacity, ...b })),
  );

/** First query index in [lo, hi) at or after position p (a row's queries are sorted by position). */
const firstAt = (queries: Int32Array, lo: number, hi: number, p: number): number => {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (queries[2 * mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

type Scored = Pick<PackedBatch, "groups" | "queries" | "rowStart">;

/**
 * Every group of b, in order: its prefix and first row in one pass from position 0 (which fills the
 * cache), each other row a pass at pos0 = p; after each pass's head, its queries' scores. Query
 * positions count in prefix + row, so a pass at pos0 holds position pos0 + i at logits row i.
 */
const recordBatch = (
  pm: PrefixModel,
  k: CompiledKernel<typeof targetScores>,
  batch: Batch,
  b: Scored,
  q: QueryBuffers,
  parity: number,
): E.Either<GpuError, void> => {
  const longest = Math.max(
    ...b.groups.flatMap((g) => g.rows.map((r, i) => r.length + (i === 0 ? g.prefix.length : 0))),
  );
  const acts = pm.activations(longest);
  if (E.isLeft(acts)) return acts;
  const a: Activations = acts.right, V = pm.cx.spec.vocabSize;
  let r = 0;
  for (const g of b.groups) {
    for (const [i, row] of g.rows.entries()) {
      const pos0 = i === 0 ? 0 : g.prefix.length, tokens = i === 0 ? wholeRow(g.prefix, row) : row;
      const chunks = pm.recordPass(batch, 2 * r + parity, a, tokens, pos0);
      if (E.isLeft(chunks)) return chunks;
      const lo = b.rowStart[r]!, hi = b.rowStart[r + 1]!;
      for (const c of chunks.right) {
        const row0 = pos0 + c.firstRow;
        const q0 = firstAt(b.queries, lo, hi, row0), q1 = firstAt(b.queries, q0, hi, row0 + c.rows);
        if (q1 > q0) {
          const io = { logits: c.tensor, queries: q.queries, logp: q.logp, greedy: q.greedy };
          batch.dispatch(k, io, { Q: q1 - q0, q0, V, row0 });
        }
      }
      r++;
    }
  }
  return E.right(undefined);
};

const runner = (pm: PrefixModel, k: CompiledKernel<typeof targetScores>): Scorer => {
  const device = pm.cx.device, bufs: Array<QueryBuffers | undefined> = [undefined, undefined];
  const free = (b: QueryBuffers | undefined) => b && [b.queries, b.logp, b.greedy].forEach(destroyTensor);
  const buffersFor = (Q: number, parity: number): E.Either<GpuError, QueryBuffers> => {
    const have = bufs[parity];
    if (have !== undefined && have.capacity >= Q) return E.right(have);
    free(have);
    bufs[parity] = undefined;
    const made = makeBuffers(device, 2 ** Math.ceil(Math.log2(Math.max(Q, 64))));
    return E.map((b: QueryBuffers) => (bufs[parity] = b))(made);
  };
  let turn = 0;
  return {
    spec: pm.cx.spec,
    // Two batches may be in flight (core/eval/score_task.ts hands over the next before awaiting
    // this one): alternate batches upload their tokens and queries into two sets of buffers, since a
    // writeBuffer into a buffer that queued work still reads was seen to land before that work ran
    // (arc_easy scores changed). The cache and activations are written by commands only, in queue order.
    score: (b) => () => {
      const Q = b.queries.length / 2, batch = createBatch(device, "score"), parity = turn++ % 2;
      const recorded = E.chainFirst((q: QueryBuffers) => (
        upload(device, q.queries, b.queries), recordBatch(pm, k, batch, b, q, parity)
      ))(buffersFor(Q, parity));
      if (E.isLeft(recorded)) return Promise.resolve(recorded);
      const hl = batch.read(recorded.right.logp), hg = batch.read(recorded.right.greedy);
      return TE.map((r: Readbacks) => ({ logp: r.get(hl).subarray(0, Q), greedy: r.get(hg).subarray(0, Q) }))(
        batch.submit(),
      )();
    },
    destroy: () => {
      bufs.forEach(free);
      pm.destroy();
    },
  };
};

/** A Scorer of fixed weights on the device, in the adapter's kernel family ("cpu" when left out). */
export const createGpuScorer = (
  cache: KernelCache,
  spec: ModelSpec,
  weights: Weights,
  opts: { readonly profile?: KernelProfile } = {},
): TE.TaskEither<GpuError, Scorer> =>
  pipe(
    TE.Do,
    TE.apS("k", cache.compile(targetScores)),
    TE.apS("pm", createPrefixModel(cache, spec, weights, opts.profile ?? "cpu")),
    TE.map(({ k, pm }) => runner(pm, k)),
  );
