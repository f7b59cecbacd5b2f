/**
 * The llama2.c checkpoint header (karpathy/llama2.c, run.c `Config`): 7 int32
 * dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len. A negative vocab_size means
 * the classifier is stored separately (untied); positive means it is the token embedding.
 * Decoded with io-ts into a Llama spec: RMSNorm eps 1e-5, RoPE θ 10000 on interleaved pairs.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { type AppError, appError } from "../errors.ts";
import { type LlamaSpec, specProblems } from "../model/spec.ts";
import { PositiveInt } from "./numbers.ts";
import { describeErrors } from "./report.ts";

const NonZeroInt = t.refinement(t.Int, (n) => n !== 0, "NonZeroInt");

export const Llama2cHeader = t.type({
  dim: PositiveInt,
  hidden_dim: PositiveInt,
  n_layers: PositiveInt,
  n_heads: PositiveInt,
  n_kv_heads: PositiveInt,
  vocab_size: NonZeroInt,
  seq_len: PositiveInt,
}, "Llama2cHeader");
export type Llama2cHeader = t.TypeOf<typeof Llama2cHeader>;

export const HEADER_FIELDS = [
  "dim",
  "hidden_dim",
  "n_layers",
  "n_heads",
  "n_kv_heads",
  "vocab_size",
  "seq_len",
] as const;
export const HEADER_BYTES = 4 * HEADER_FIELDS.length;

export const headerToSpec = (h: Llama2cHeader): LlamaSpec => ({
  _tag: "llama",
  nLayer: h.n_layers,
  nEmbd: h.dim,
  nHead: h.n_heads,
  nKvHead: h.n_kv_heads,
  hiddenDim: h.hidden_dim,
  vocabSize: Math.abs(h.vocab_size),
  blockSize: h.seq_len,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "interleaved",
  tiedHead: h.vocab_size > 0,
});

/** Decode the 7 header ints (as read from the file) into a consistent spec. */
export const decodeLlama2cHeader = (ints: ArrayLike<number>, source: string): E.Either<AppError, LlamaSpec> => {
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot read the llama2.c header of ${source}: ${why}`,
      "is this a llama2.c (run.c) float32 checkpoint? re-export it with llama2.c's export.py",
    );
  return pipe(
    Llama2cHeader.decode(Object.fromEntries(HEADER_FIELDS.map((k, i) => [k, ints[i]]))),
    E.mapLeft((errs) => bad(describeErrors(errs))),
    E.map(headerToSpec),
    E.chain((spec) => {
      const problems = specProblems(spec);
      return problems.length === 0 ? E.right(spec) : E.left(bad(problems.join("; ")));
    }),
  );
};
