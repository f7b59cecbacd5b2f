/**
 * The reference llama2.c encoder (llama2.c run.c `encode`), kept simple as the test oracle of the fast
 * one in score_bpe.ts: a dummy-prefix space, one token per UTF-8 character (byte fallback
 * <0xXX> = id 3 + byte where the character is not in the vocabulary, <unk> 0 when a damaged
 * vocabulary lacks the byte tokens), then repeatedly merge the adjacent pair whose joined piece has
 * the highest score, ties to the leftmost pair, until no adjacent pair joins into a piece.
 * @module
 */
import { BYTE0, pieceKey, type ScoredVocab } from "./score_bpe.ts";

/** Token ids of `text` without BOS/EOS. */
export const scoreBpeReference = (v: ScoredVocab): (text: string) => number[] => {
  const ids = new Map<string, number>();
  v.pieces.forEach((p, id) => {
    if (!ids.has(pieceKey(p))) ids.set(pieceKey(p), id);
  });
  const utf8 = new TextEncoder();
  return (text) => {
    const tokens: number[] = [];
    if (text.length > 0) {
      const space = ids.get(" ");
      if (space !== undefined) tokens.push(space);
      for (const ch of text) {
        const b = utf8.encode(ch), id = ids.get(pieceKey(b));
        if (id !== undefined) tokens.push(id);
        else tokens.push(...Array.from(b, (x) => (x + BYTE0 < v.pieces.length ? x + BYTE0 : 0)));
      }
    }
    for (;;) {
      let best = -Infinity, at = -1, joined = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = ids.get(pieceKey(v.pieces[tokens[i]!]!) + pieceKey(v.pieces[tokens[i + 1]!]!));
        if (id !== undefined && v.scores[id]! > best) [best, at, joined] = [v.scores[id]!, i, id];
      }
      if (at < 0) return tokens;
      tokens.splice(at, 2, joined);
    }
  };
};
