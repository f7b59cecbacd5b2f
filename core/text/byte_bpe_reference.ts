/**
 * The reference GPT-2 byte-level BPE (Radford et al. 2019; openai/gpt-2 src/encoder.py), kept simple
 * as the test oracle of the fast encoder in byte_bpe.ts; written from the algorithm: split text with
 * GPT-2's regex, map each UTF-8 byte to a printable stand-in character (bytes_to_unicode), then merge adjacent symbols by the rank of the pair in vocab.bpe until no
 * ranked pair is left, and look the symbols up in encoder.json. Decoding maps the characters back
 * to bytes, so decode(encode(s)) = s for every string of whole code points.
 * @module
 */
import { joinPieces, type Tokenizer } from "./tokenizer.ts";
import { type ByteBpeFiles, bytesToUnicode, GPT2_PATTERN as PATTERN } from "./byte_bpe.ts";

export const byteBpeReference = ({ vocab, merges, bos, eos }: ByteBpeFiles): Tokenizer => {
  const byteChar = bytesToUnicode();
  const charByte = new Map(byteChar.map((c, b) => [c, b]));
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i])); // no symbol holds a space (0x20 maps to Ġ)
  const pieces: string[] = [];
  vocab.forEach((id, piece) => {
    pieces[id] = piece;
  });
  const cache = new Map<string, ReadonlyArray<string>>();
  const bpe = (word: string): ReadonlyArray<string> => {
    const hit = cache.get(word);
    if (hit !== undefined) return hit;
    let parts = Array.from(word);
    for (;;) {
      let best = Infinity, at = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < best) [best, at] = [r, i];
      }
      if (at < 0) break;
      const [a, b] = [parts[at]!, parts[at + 1]!], next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) next.push(a + b), i++;
        else next.push(parts[i]!);
      }
      parts = next;
    }
    if (cache.size < 100_000) cache.set(word, parts);
    return parts;
  };
  const utf8 = new TextEncoder();
  const encode = (text: string, opts: { readonly bos: boolean; readonly eos: boolean }): number[] => {
    const ids: number[] = opts.bos ? [bos] : [];
    for (const [m] of text.matchAll(PATTERN)) {
      const word = Array.from(utf8.encode(m), (b) => byteChar[b]!).join("");
      for (const p of bpe(word)) ids.push(vocab.get(p)!); // every single byte char is in GPT-2's vocabulary
    }
    if (opts.eos) ids.push(eos);
    return ids;
  };
  const pieceBytes = (_prev: number, token: number): Uint8Array => {
    const p = pieces[token];
    return p === undefined ? new Uint8Array(0) : Uint8Array.from(Array.from(p), (c) => charByte.get(c) ?? 0x3f);
  };
  return {
    vocabSize: pieces.length,
    bos,
    eos,
    addsBos: false,
    encode,
    pieceBytes,
    decode: (ids) => joinPieces({ pieceBytes }, ids.filter((i) => i !== bos && i !== eos), -1),
  };
};
