/**
 * Batches from a token stream, pure. Training: each of the B rows is a window of T+1 tokens at a
 * start drawn uniformly from the stream by the project's xorshift64* (core/rng.ts); the state is a
 * BigInt, so a checkpoint stores it and a resumed run draws the very same windows. Evaluation: the
 * validation tokens cut into consecutive, non-overlapping windows (stride T, each T+1 long), in a
 * fixed order, so every evaluation of a run scores the same positions.
 * Shapes: tokens and targets (B·T) int32; row b is window b, targets = tokens shifted by one.
 * @module
 */
import { nextU32, type RngState } from "../rng.ts";
import type { MicroBatch } from "./trainer.ts";

export type TokenArray = Uint16Array | Uint32Array | Int32Array;

/** Number of window starts in a stream of n tokens: 0..n−T−1. */
const startsIn = (n: number, T: number): number => n - T;

/** A uniform integer in [0, n) from two 32-bit outputs (53 bits, so the modulo bias is below 2⁻²⁰ for any corpus we hold). */
export const nextIndex = (rng: RngState, n: number): readonly [number, RngState] => {
  const [hi, r1] = nextU32(rng);
  const [lo, r2] = nextU32(r1);
  return [((hi >>> 11) * 4294967296 + lo) % n, r2];
};

/** Windows at the given starts as a micro-batch. */
export const windowsAt = (stream: TokenArray, starts: ReadonlyArray<number>, T: number): MicroBatch => {
  const B = starts.length, tokens = new Int32Array(B * T), targets = new Int32Array(B * T);
  starts.forEach((s, b) => {
    tokens.set(stream.subarray(s, s + T), b * T);
    targets.set(stream.subarray(s + 1, s + T + 1), b * T);
  });
  return { tokens, targets };
};

/** B random windows of T+1 tokens and the next RNG state. The stream must hold at least T+1 tokens. */
export const trainBatch = (
  stream: TokenArray,
  B: number,
  T: number,
  rng: RngState,
): { readonly batch: MicroBatch; readonly rng: RngState } => {
  const n = startsIn(stream.length, T);
  if (n < 1) throw new Error(`Cannot draw a window of ${T + 1} tokens from ${stream.length}`);
  const starts: number[] = [];
  let r = rng;
  for (let b = 0; b < B; b++) {
    const [s, next] = nextIndex(r, n);
    starts.push(s);
    r = next;
  }
  return { batch: windowsAt(stream, starts, T), rng: r };
};

/** K micro-batches for one optimizer step, drawn in order from one RNG stream. */
export const trainBatches = (
  stream: TokenArray,
  K: number,
  B: number,
  T: number,
  rng: RngState,
): { readonly batches: ReadonlyArray<MicroBatch>; readonly rng: RngState } => {
  const batches: MicroBatch[] = [];
  let r = rng;
  for (let k = 0; k < K; k++) {
    const d = trainBatch(stream, B, T, r);
    batches.push(d.batch);
    r = d.rng;
  }
  return { batches, rng: r };
};

/** An evaluation batch: `rows` ≤ B windows (the last batch may be short). */
export interface EvalBatch {
  readonly batch: MicroBatch;
  readonly rows: number;
}

/** Windows of the evaluation split: starts 0, T, 2T, … while a whole window fits, at most ⌈maxTokens/T⌉ of them. */
export const evalStarts = (n: number, T: number, maxTokens = Infinity): ReadonlyArray<number> => {
  const count = Math.min(Math.floor((n - 1) / T), Math.ceil(maxTokens / T));
  return Array.from({ length: Math.max(0, count) }, (_, i) => i * T);
};

/** The evaluation split as batches of up to B windows, in order; the same every time. */
export function* evalBatches(stream: TokenArray, B: number, T: number, maxTokens = Infinity): Generator<EvalBatch> {
  const starts = evalStarts(stream.length, T, maxTokens);
  for (let i = 0; i < starts.length; i += B) {
    const rows = starts.slice(i, i + B);
    yield { batch: windowsAt(stream, rows, T), rows: rows.length };
  }
}
