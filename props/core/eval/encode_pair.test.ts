/**
 * lm-evaluation-harness's `_encode_pair` rule (core/eval/encode_pair.ts): trailing whitespace of the
 * context moves to the continuation; the continuation's tokens are encode(context + continuation)
 * after len(encode(context)), so a token merged across the boundary counts to the context by position;
 * the model reads BOS, the context and the continuation but its last token, cut from the left.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { encodePair, moveTrailingSpace, tokenRequest } from "../../../core/eval/encode_pair.ts";

/** Greedy longest match over a small vocabulary with merges ("bc", " a") that can straddle a boundary. */
const VOCAB = ["bc", " a", "x", " ", "a", "b", "c", "\n"];
const greedy = (s: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < s.length;) {
    const k = VOCAB.findIndex((v) => s.startsWith(v, i));
    if (k < 0) throw new Error(`no token for ${s.slice(i)}`);
    out.push(k + 1);
    i += VOCAB[k]!.length;
  }
  return out;
};
const id = (piece: string) => VOCAB.indexOf(piece) + 1;

describe("the _encode_pair rule", () => {
  test("trailing spaces and newlines of the context move to the front of the continuation", () => {
    expect(moveTrailingSpace({ context: "x a \n ", continuation: "b" })).toEqual({
      context: "x a",
      continuation: " \n b",
    });
    expect(moveTrailingSpace({ context: "x", continuation: " b" })).toEqual({ context: "x", continuation: " b" });
    // U+FEFF is no whitespace to Python's rstrip, U+001F is.
    expect(moveTrailingSpace({ context: "x\ufeff", continuation: "b" }).context).toBe("x\ufeff");
    expect(moveTrailingSpace({ context: "x\x1f", continuation: "b" }).context).toBe("x");
  });

  test("a context ending in a space scores the space with the continuation: ' a' merges again", () => {
    // "x " + "ab": moved to "x" + " ab"; encode("x ab") = [x, " a", b], encode("x") = [x].
    expect(encodePair(greedy, { context: "x ", continuation: "ab" })).toEqual({
      ctx: [id("x")],
      cont: [id(" a"), id("b")],
    });
  });

  test("a token merged across the boundary belongs to the context by position (whole[len(ctx):])", () => {
    // encode("x ab") = [x, " a", b]; encode("x abcc") = [x, " a", bc, c]: "bc" straddles, only "c" is the continuation's.
    expect(encodePair(greedy, { context: "x ab", continuation: "cc" })).toEqual({
      ctx: [id("x"), id(" a"), id("b")],
      cont: [id("c")],
    });
  });

  const arbText = fc.array(fc.constantFrom("x", " ", "a", "b", "c", "\n"), { maxLength: 12 }).map((a) => a.join(""));
  test.prop([arbText, arbText])(
    "for any context and continuation, the moved pair is the same text and its context ends in no whitespace",
    (context, continuation) => {
      const m = moveTrailingSpace({ context, continuation });
      expect(m.context + m.continuation).toBe(context + continuation);
      expect(m.context).toBe(context.replace(/\s+$/, ""));
    },
  );

  test.prop([arbText, arbText.map((s) => `b${s}`), fc.integer({ min: 1, max: 16 })])(
    "for any request that fits, the model reads BOS + ctx + cont cut from the left to the context length, and the continuation is its last targets",
    (context, continuation, blockSize) => {
      const { ctx, cont } = encodePair(greedy, { context, continuation });
      const r = tokenRequest(greedy, 0, blockSize, { context, continuation });
      if (cont.length > blockSize) {
        expect(E.isLeft(r)).toBe(true);
        return;
      }
      const seq = [0, ...ctx, ...cont];
      const got = E.getOrElseW(() => undefined)(r)!;
      expect(Array.from(got.input)).toEqual(seq.slice(0, -1).slice(-blockSize));
      expect([...Array.from(got.input), seq[seq.length - 1]].slice(-cont.length)).toEqual(cont);
      expect(Array.from(got.cont)).toEqual(cont);
    },
  );
});
