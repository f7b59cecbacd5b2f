/**
 * A request's tokens, as lm-evaluation-harness's `_encode_pair` makes them, and what the model reads.
 * - Trailing whitespace of the context (Python's str.rstrip set) moves to the front of the continuation.
 * - whole = encode(context + continuation), ctx = encode(context), each as the tokenizer encodes any
 *   text (llama2.c's and SentencePiece's dummy-prefix space included) without BOS or EOS; the
 *   continuation's tokens are whole[len(ctx):], so a merge across the boundary lands in the continuation.
 * - The model reads BOS (when the tokenizer adds it, or the context is empty: core/text/conventions.ts), ctx,
 *   continuation minus its last token, cut from the left to the model's
 *   context length (the harness's `(ctx + cont)[-(max_length + 1):][:-1]`); the continuation's tokens
 *   are predicted at the input's last |cont| positions.
 * Pure. Shapes: input (L) with L ≤ blockSize; cont (K) with K ≤ L.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import type { LlRequest } from "./requests.ts";
import { contextPrefix } from "../text/conventions.ts";

/** Whitespace as Python's str.isspace: JS's \s without U+FEFF, with U+001C..U+001F and U+0085. */
const TRAILING_SPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u;

export type Encode = (text: string) => ReadonlyArray<number>;

/** The context without its trailing whitespace, which now starts the continuation. */
export const moveTrailingSpace = (r: LlRequest): LlRequest => {
  const n = TRAILING_SPACE.exec(r.context)?.[0].length ?? 0;
  return n === 0 ? r : { context: r.context.slice(0, -n), continuation: r.context.slice(-n) + r.continuation };
};

export const encodePair = (
  encode: Encode,
  r: LlRequest,
): { readonly ctx: ReadonlyArray<number>; readonly cont: ReadonlyArray<number> } => {
  const m = moveTrailingSpace(r);
  const whole = encode(m.context + m.continuation), ctx = encode(m.context);
  return { ctx, cont: whole.slice(ctx.length) };
};

/** What the model reads for one request, and the continuation's tokens (its last cont.length targets). */
export interface TokenRequest {
  readonly input: Int32Array;
  readonly cont: Int32Array;
}

export const tokenRequest = (
  encode: Encode,
  bos: number,
  blockSize: number,
  r: LlRequest,
  addsBos = true, // the tokenizer's convention (core/text/conventions.ts); BOS still precedes an empty context
): E.Either<AppError, TokenRequest> => {
  const { ctx, cont } = encodePair(encode, r);
  if (cont.length > blockSize) {
    return E.left(
      appError(
        "BadInput",
        `Cannot score a continuation of ${cont.length} tokens: the model's context holds ${blockSize}`,
        `shorten the continuation "${r.continuation.slice(0, 40)}…" or use a model with a longer context`,
      ),
    );
  }
  const seq = [...contextPrefix({ bos, addsBos }, ctx.length), ...ctx, ...cont];
  return E.right({ input: Int32Array.from(seq.slice(0, -1).slice(-blockSize)), cont: Int32Array.from(cont) });
};
