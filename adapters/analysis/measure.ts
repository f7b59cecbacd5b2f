/**
 * Measuring a model's blocks on held-out text (core/surgery/diagnostics.ts). Windows: `sequences`
 * evenly spaced windows of T tokens (the paper: about 100 sequences of 100 tokens), taken in runs
 * of as many windows as a memory budget allows. Each run gives, per block, its input and output
 * rows, its attention probabilities (B, NH, T, T) and its early exit's summed loss: on the GPU when
 * a kernel cache is given (gpu/model/attention_probs.ts, one batch a run, the next run computing
 * while the host counts the last one's ranks), from the CPU reference otherwise. The host sums the
 * measures run by run, so nothing holds every window's matrices or logits at once.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { TokenArray } from "../../core/train/batches.ts";
import {
  addAttention,
  attentionMatrices,
  attentionSummary,
  attentionSums,
  blockInfluence,
  type BlockReport,
} from "../../core/surgery/diagnostics.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { forward, headLogits } from "../../core/model/forward.ts";
import { crossEntropyRows } from "../../core/ops/cross_entropy.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import type { KernelCache } from "../../gpu/engine/compile.ts";
import type { KernelProfile } from "../../gpu/kernels/profile.ts";
import { type BlockProbes, createBlockProbe, type GpuBlockProbe } from "../../gpu/model/attention_probs.ts";

/** A kernel cache and the kernel family to compile from it. */
export interface GpuBackend {
  readonly kernels: KernelCache;
  readonly profile: KernelProfile;
}

export interface AnalysisOptions {
  readonly sequences: number;
  readonly T: number;
  /**
   * Windows whose early exits are measured: the first ones (default all; 0: none, and each block's earlyExitLoss is
   * NaN). The LM head after every block costs more than the blocks.
   */
  readonly exitSequences?: number;
  /** The bytes one run of windows may hold (default RUN_BUDGET_BYTES); tests pass a small one to run window by window. */
  readonly runBytes?: number;
}

/** Where the time went: waiting for the runs (forward, probabilities, readback) and counting on the host. */
export interface AnalysisSeconds {
  readonly setup: number;
  readonly runs: number; // waiting for the device (or the CPU reference's forward), net of the overlap
  readonly measures: number; // the host's spectra, column shares, influences and losses
  readonly windowsPerRun: number;
  readonly exitSequences: number;
}

/** The bytes a run may hold: its logits, probabilities and stream (gpu/model/attention_probs.ts windowsPerRun). */
const RUN_BUDGET_BYTES = 256 * 2 ** 20;

/** One run's per-block results (L each; stream L + 1 of (B·T, C)). */
interface RunResult {
  readonly stream: ReadonlyArray<Float32Array>;
  readonly probs: ReadonlyArray<Float32Array | Float64Array>;
  readonly exitLossSums: ReadonlyArray<number>;
}

interface Prober {
  readonly windowsPerRun: number;
  run(
    tokens: Int32Array,
    targets: Int32Array,
    B: number,
    T: number,
    exits: boolean,
  ): Promise<E.Either<AppError, RunResult>>;
  destroy(): void;
}

/** Evenly spaced windows of T + 1 tokens: inputs and next-token targets, (B·T) each. */
const windows = (val: TokenArray, B: number, T: number) => {
  const tokens = new Int32Array(B * T),
    targets = new Int32Array(B * T),
    gap = Math.floor((val.length - T - 1) / Math.max(1, B - 1));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      tokens[b * T + t] = val[b * gap + t]!;
      targets[b * T + t] = val[b * gap + t + 1]!;
    }
  }
  return { tokens, targets };
};

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};

/** The CPU reference: the stream, each block's matrices in float64, each exit's loss one window at a time. */
const cpuProber = (s: ModelSpec, w: Weights, T: number, budget: number): Prober => ({
  windowsPerRun: Math.max(
    1,
    Math.floor(budget / (8 * s.nLayer * s.nHead * T * T + 4 * (s.nLayer + 1) * T * s.nEmbd)),
  ),
  run: (tokens, targets, B, T, exits) => {
    const st = forward(s, w, tokens, B, T, { stream: true }).stream!, C = s.nEmbd;
    const probs = st.slice(0, s.nLayer).map((x, k) => {
      const out = new Float64Array(B * s.nHead * T * T);
      attentionMatrices(s, w, k, x, B, T).forEach((P, i) => out.set(P, i * T * T));
      return out;
    });
    const exitLossSums = st.slice(exits ? 1 : st.length).map((x) =>
      Array.from({ length: B }, (_, b) => {
        const logits = headLogits(s, w, x.subarray(b * T * C, (b + 1) * T * C));
        return sum(crossEntropyRows(logits, targets.subarray(b * T, (b + 1) * T), T, s.vocabSize));
      }).reduce((a, b) => a + b, 0)
    );
    return Promise.resolve(E.right({ stream: st, probs, exitLossSums }));
  },
  destroy: () => {},
});

const gpuProber = async (s: ModelSpec, w: Weights, T: number, budget: number, gpu: GpuBackend) =>
  E.map((probe: GpuBlockProbe): Prober => ({
    windowsPerRun: probe.windowsPerRun(T, budget),
    run: async (tokens, targets, B, T, exits) =>
      E.map((r: BlockProbes): RunResult => ({
        stream: r.stream,
        probs: r.probs,
        exitLossSums: r.exitLosses.map(sum), // in index order, as the model's loss
      }))(await probe.run(tokens, targets, B, T, exits)()),
    destroy: probe.destroy,
  }))(await createBlockProbe(gpu.kernels, s, w, gpu.profile)());

/** The per-block sums of every run so far. */
const blockSums = (s: ModelSpec) =>
  Array.from(
    { length: s.nLayer },
    () => ({ attention: attentionSums(s.nHead), influence: 0, loss: 0, rows: 0, lossRows: 0 }),
  );

const addRun = (s: ModelSpec, sums: ReturnType<typeof blockSums>, r: RunResult, T: number): void =>
  sums.forEach((b, k) => {
    const rows = r.stream[k]!.length / s.nEmbd;
    addAttention(b.attention, r.probs[k]!, T);
    b.influence += rows * blockInfluence(r.stream[k]!, r.stream[k + 1]!, s.nEmbd);
    b.rows += rows;
    if (r.exitLossSums.length > 0) (b.loss += r.exitLossSums[k]!, b.lossRows += rows);
  });

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** analyzeBlocks, with where its time went. */
export const analyzeBlocksTimed = async (
  s: ModelSpec,
  w: Weights,
  val: TokenArray,
  o: AnalysisOptions,
  gpu?: GpuBackend,
): Promise<E.Either<AppError, { blocks: ReadonlyArray<BlockReport>; seconds: AnalysisSeconds }>> => {
  const T = Math.min(o.T, s.blockSize), B = Math.min(o.sequences, Math.floor((val.length - 1) / (T + 1)));
  if (B < 1) {
    return E.left(
      appError(
        "BadInput",
        `Cannot analyse on ${val.length} held-out tokens: one window needs ${T + 1}`,
        "use a larger corpus or a smaller --ctx",
      ),
    );
  }
  const t0 = performance.now(), { tokens, targets } = windows(val, B, T);
  const budget = o.runBytes ?? RUN_BUDGET_BYTES;
  const p = gpu === undefined ? E.right(cpuProber(s, w, T, budget)) : await gpuProber(s, w, T, budget, gpu);
  if (E.isLeft(p)) return p;
  const probe = p.right, per = probe.windowsPerRun, sums = blockSums(s), setup = seconds(t0);
  // Runs of `per` windows, cut where the early exits stop.
  const X = Math.min(B, Math.max(0, o.exitSequences ?? B)), starts: number[] = [];
  for (let b0 = 0; b0 < B; b0 = Math.min(b0 + per, b0 < X ? X : B)) starts.push(b0);
  const start = (j: number) => {
    const b0 = starts[j]!, n = (starts[j + 1] ?? B) - b0;
    return probe.run(tokens.subarray(b0 * T, (b0 + n) * T), targets.subarray(b0 * T, (b0 + n) * T), n, T, b0 < X);
  };
  let runs = 0, measures = 0;
  try {
    // The next run is submitted before this one is counted: the device computes while the host counts.
    let pending = start(0);
    for (let j = 0; j < starts.length; j++) {
      const tw = performance.now(), r = await pending;
      runs += seconds(tw);
      if (E.isLeft(r)) return r;
      if (j + 1 < starts.length) pending = start(j + 1); // submitted at once (gpu/model/attention_probs.ts run)
      const tm = performance.now();
      addRun(s, sums, r.right, T);
      measures += seconds(tm);
    }
  } finally {
    probe.destroy();
  }
  const blocks = sums.map((b, k) => ({
    block: k,
    ...attentionSummary(b.attention),
    influence: b.influence / b.rows,
    earlyExitLoss: b.loss / b.lossRows,
  }));
  return E.right({ blocks, seconds: { setup, runs, measures, windowsPerRun: per, exitSequences: X } });
};

export const analyzeBlocks = async (
  s: ModelSpec,
  w: Weights,
  val: TokenArray,
  o: AnalysisOptions,
  gpu?: GpuBackend,
): Promise<E.Either<AppError, ReadonlyArray<BlockReport>>> =>
  E.map((r: { blocks: ReadonlyArray<BlockReport> }) => r.blocks)(await analyzeBlocksTimed(s, w, val, o, gpu));
