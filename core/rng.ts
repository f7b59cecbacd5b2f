/**
 * Seeded random numbers as values: xorshift64* (Vigna 2016), the generator of llama2.c's run.c,
 * so a seed means the same stream there and here. State is a 64-bit BigInt, never zero.
 * @module
 */

export type RngState = bigint;
const MASK = (1n << 64n) - 1n;

export const seedRng = (seed: number): RngState => {
  const s = BigInt.asUintN(64, BigInt(Math.trunc(seed)));
  return s === 0n ? 0x9e3779b97f4a7c15n : s;
};

/** Next 32-bit output and state. */
export const nextU32 = (state: RngState): readonly [number, RngState] => {
  let s = state;
  s ^= s >> 12n;
  s = (s ^ (s << 25n)) & MASK;
  s ^= s >> 27n;
  return [Number(((s * 0x2545f4914f6cdd1dn) & MASK) >> 32n), s];
};

/** Uniform float in [0, 1) with 24 bits, as run.c's random_f32. */
export const nextF32 = (state: RngState): readonly [number, RngState] => {
  const [u, s] = nextU32(state);
  return [(u >>> 8) / 16777216, s];
};
