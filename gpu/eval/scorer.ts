/**
 * A Scorer (core/eval/scorer.ts) on the device: the model's recorded forward (gpu/model/model.ts
 * recordLogits) and, in the same batch, the target_scores kernel on each logits chunk for the queries
 * whose positions fall in it; one submit and a readback of 2·Q numbers per batch. Query buffers grow
 * by powers of two and are kept, as the model keeps activations per (B, T).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Scorer } from "../../core/eval/scorer.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { createBatch, type Readbacks } from "../engine/batch.ts";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";
import type { KernelProfile } from "../kernels/profile.ts";
import { createGpuModel, type GpuModel } from "../model/model.ts";
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

/** First query index at or after position p (queries sorted by position). */
const firstAt = (queries: Int32Array, Q: number, p: number): number => {
  let lo = 0, hi = Q;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (queries[2 * mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const runner = (model: GpuModel, k: CompiledKernel<typeof targetScores>, device: GPUDevice): Scorer => {
  let bufs: QueryBuffers | undefined;
  const buffersFor = (Q: number): E.Either<GpuError, QueryBuffers> => {
    if (bufs !== undefined && bufs.capacity >= Q) return E.right(bufs);
    if (bufs !== undefined) [bufs.queries, bufs.logp, bufs.greedy].forEach(destroyTensor);
    bufs = undefined;
    return E.map((b: QueryBuffers) => (bufs = b))(makeBuffers(device, 2 ** Math.ceil(Math.log2(Math.max(Q, 64)))));
  };
  return {
    spec: model.spec,
    score: (b) => {
      const Q = b.queries.length / 2, V = model.spec.vocabSize;
      const batch = createBatch(device, `score ${b.B}x${b.T}`);
      return pipe(
        TE.fromEither(E.Do),
        TE.apS("q", TE.fromEither(buffersFor(Q))),
        TE.apS("chunks", TE.fromEither(model.recordLogits(batch, b.tokens, b.B, b.T))),
        TE.chain(({ q, chunks }) => {
          upload(device, q.queries, b.queries);
          for (const c of chunks) {
            const q0 = firstAt(b.queries, Q, c.firstRow), q1 = firstAt(b.queries, Q, c.firstRow + c.rows);
            if (q1 > q0) {
              batch.dispatch(k, { logits: c.tensor, queries: q.queries, logp: q.logp, greedy: q.greedy }, {
                Q: q1 - q0,
                q0,
                V,
                row0: c.firstRow,
              });
            }
          }
          const hl = batch.read(q.logp), hg = batch.read(q.greedy);
          return TE.map((r: Readbacks) => ({ logp: r.get(hl).subarray(0, Q), greedy: r.get(hg).subarray(0, Q) }))(
            batch.submit(),
          );
        }),
      );
    },
    destroy: () => {
      if (bufs !== undefined) [bufs.queries, bufs.logp, bufs.greedy].forEach(destroyTensor);
      model.destroy();
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
    TE.apS("model", createGpuModel(cache, spec, weights, { profile: opts.profile ?? "cpu" })),
    TE.map(({ k, model }) => runner(model, k, cache.device)),
  );
