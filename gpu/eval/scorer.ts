/**
 * A Scorer (core/eval/scorer.ts) on the device: a packed batch laid out flat (core/eval/packed_layout.ts:
 * each group's prefix once, then its rows, many groups per pass, no KV cache), its passes recorded by
 * gpu/eval/packed_forward.ts, and after each pass's head the target_scores kernel on its logits for the
 * pass's queries; the whole batch in one submit and a readback of 2·Q numbers. Query buffers grow by
 * powers of two and are kept.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { PackedBatch } from "../../core/eval/pack.ts";
import { layoutPasses, type PackedPass } from "../../core/eval/packed_layout.ts";
import type { Scorer } from "../../core/eval/scorer.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { type Batch, createBatch, type Readbacks } from "../engine/batch.ts";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import { createPackedModel, type PackedModel, type PackedOptions } from "./packed_forward.ts";
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

/** First query index in [lo, hi) at or after index i of its pass (a pass's queries sit at increasing indices). */
const firstAt = (at: Int32Array, base: number, lo: number, hi: number, i: number): number => {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid - base]! < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

type Scored = Pick<PackedBatch, "groups" | "queries" | "rowStart">;

/** The batch's queries as the kernel reads them: (index in its pass, target). */
const passQueries = (b: Scored, passes: ReadonlyArray<PackedPass>): Int32Array => {
  const out = new Int32Array(b.queries.length);
  for (const p of passes) {
    for (let q = p.q0; q < p.q1; q++) out.set([p.at[q - p.q0]!, b.queries[2 * q + 1]!], 2 * q);
  }
  return out;
};

/**
 * Every pass of b, in order (through input slots 2j + parity), and after each pass's head its queries'
 * scores, chunk by chunk of its logits.
 */
const recordBatch = (
  pm: PackedModel,
  k: CompiledKernel<typeof targetScores>,
  batch: Batch,
  passes: ReadonlyArray<PackedPass>,
  q: QueryBuffers,
  parity: number,
): E.Either<GpuError, void> => {
  const V = pm.cx.spec.vocabSize;
  for (const [j, pass] of passes.entries()) {
    const chunks = pm.recordPass(batch, 2 * j + parity, pass);
    if (E.isLeft(chunks)) return chunks;
    for (const c of chunks.right) {
      const q0 = firstAt(pass.at, pass.q0, pass.q0, pass.q1, c.firstRow);
      const q1 = firstAt(pass.at, pass.q0, q0, pass.q1, c.firstRow + c.rows);
      if (q1 > q0) {
        const io = { logits: c.tensor, queries: q.queries, logp: q.logp, greedy: q.greedy };
        batch.dispatch(k, io, { Q: q1 - q0, q0, V, row0: c.firstRow });
      }
    }
  }
  return E.right(undefined);
};

const runner = (pm: PackedModel, k: CompiledKernel<typeof targetScores>): Scorer => {
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
    // this one): alternate batches upload their passes' inputs and queries into two sets of buffers, since
    // a writeBuffer into a buffer that queued work still reads was seen to land before that work ran
    // (arc_easy scores changed). The activations are written by commands only, in queue order.
    score: (b) => () => {
      const Q = b.queries.length / 2, batch = createBatch(device, "score"), parity = turn++ % 2;
      const passes = layoutPasses(b, { groupTokens: pm.cx.spec.blockSize, passTokens: pm.passTokens });
      const recorded = E.chainFirst((q: QueryBuffers) => (
        upload(device, q.queries, passQueries(b, passes)), recordBatch(pm, k, batch, passes, q, parity)
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
  opts: PackedOptions = {},
): TE.TaskEither<GpuError, Scorer> =>
  pipe(
    TE.Do,
    TE.apS("k", cache.compile(targetScores)),
    TE.apS("pm", createPackedModel(cache, spec, weights, opts)),
    TE.map(({ k, pm }) => runner(pm, k)),
  );
