/**
 * Pre-tokenizers as span scanners: each reports the pieces of s[start, end) as (s, a, b) spans, so no
 * piece is sliced or matched by a regex on the hot path. `scanGpt2` is GPT-2's pattern
 * `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (u flag) written out
 * by hand: the alternatives are tried in order at each position, the whitespace run gives back its
 * last character when a non-space follows (the lookahead), and the character classes come from a
 * table built with the same regex classes, so the spans are the regex's matches (a property test
 * checks them against GPT2_PATTERN). `scanDigits` is Digits' split on numeric characters (\p{N}).
 * @module
 */

export type Emit = (s: string, start: number, end: number) => void;

const OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3;
let bmp: Uint8Array | undefined;
const astral = new Map<number, number>();
const classOfChar = (ch: string): number =>
  /\s/u.test(ch) ? SPACE : /\p{L}/u.test(ch) ? LETTER : /\p{N}/u.test(ch) ? NUMBER : OTHER;
/** The class of every BMP code unit (a lone surrogate is OTHER, as the u-flag regex reads it). */
const bmpClasses = (): Uint8Array => {
  if (bmp !== undefined) return bmp;
  bmp = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) if (c < 0xd800 || c > 0xdfff) bmp[c] = classOfChar(String.fromCharCode(c));
  return bmp;
};

/** Class and width (code units) of the code point at i, packed as class·4 + width. */
const at = (table: Uint8Array, s: string, i: number, end: number): number => {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= end) return table[c]! * 4 + 1;
  const d = s.charCodeAt(i + 1);
  if (d < 0xdc00 || d > 0xdfff) return OTHER * 4 + 1;
  const cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
  let k = astral.get(cp);
  if (k === undefined) astral.set(cp, k = classOfChar(String.fromCodePoint(cp)));
  return k * 4 + 2;
};

/** Length of a contraction ('s 't 're 've 'm 'll 'd) at i, else 0. */
const contraction = (s: string, i: number, end: number): number => {
  if (i + 1 >= end) return 0;
  const c1 = s.charCodeAt(i + 1);
  if (c1 === 0x73 || c1 === 0x74 || c1 === 0x6d || c1 === 0x64) return 2; // s t m d
  if (i + 2 >= end) return 0;
  const c2 = s.charCodeAt(i + 2);
  return ((c1 === 0x72 || c1 === 0x76) && c2 === 0x65) || (c1 === 0x6c && c2 === 0x6c) ? 3 : 0; // re ve ll
};

export const scanGpt2 = (s: string, start: number, end: number, emit: Emit): void => {
  const table = bmpClasses();
  for (let i = start; i < end;) {
    const c = s.charCodeAt(i);
    if (c === 0x27) {
      const n = contraction(s, i, end);
      if (n > 0) {
        emit(s, i, i + n);
        i += n;
        continue;
      }
    }
    let p = i, k = at(table, s, i, end);
    if (c === 0x20 && i + 1 < end) {
      const next = at(table, s, i + 1, end);
      if (next >> 2 !== SPACE) [p, k] = [i + 1, next];
    }
    if (k >> 2 !== SPACE) { // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+`: a run of one class
      const cls = k >> 2;
      let q = p + (k & 3);
      while (q < end) {
        const x = at(table, s, q, end);
        if (x >> 2 !== cls) break;
        q += x & 3;
      }
      emit(s, i, q);
      i = q;
      continue;
    }
    let q = i + 1; // whitespace is never astral
    while (q < end && table[s.charCodeAt(q)] === SPACE) q++;
    const stop = q === end || q - i === 1 ? q : q - 1; // `\s+(?!\S)` leaves the last space to the next piece
    emit(s, i, stop);
    i = stop;
  }
};

/**
 * Digits: runs of non-numerics, and each numeric character alone (individual) or runs of them. Numeric is
 * Rust's `char::is_numeric` (general category N: Nd, Nl, No; so "²", "½", "٣" too), as the tokenizers crate
 * that transformers runs splits; the JS library's `\d` (ASCII only) departs from it.
 */
export const scanDigits = (individual: boolean) => (s: string, start: number, end: number, emit: Emit): void => {
  const table = bmpClasses();
  for (let i = start; i < end;) {
    const k = at(table, s, i, end), numeric = k >> 2 === NUMBER;
    let q = i + (k & 3);
    if (!numeric || !individual) {
      while (q < end) {
        const x = at(table, s, q, end);
        if ((x >> 2 === NUMBER) !== numeric) break;
        q += x & 3;
      }
    }
    emit(s, i, q);
    i = q;
  }
};
