/**
 * CPU reference of appending to a KV cache (llama2.c's key_cache / value_cache, one sequence):
 * the N new positions' keys and values, k and v (N, KV) each, go to rows pos0 .. pos0 + N − 1 of
 * the cache (S, 2·KV), each row holding k then v; the other rows keep what they held. A copy: exact.
 * @module
 */
import type { Floats } from "../model/floats.ts";

export const kvAppend = <A extends Floats>(cache: A, k: Floats, v: Floats, N: number, KV: number, pos0: number): A => {
  const out = cache.slice() as A;
  for (let n = 0; n < N; n++) {
    out.set(k.subarray(n * KV, (n + 1) * KV), (pos0 + n) * 2 * KV);
    out.set(v.subarray(n * KV, (n + 1) * KV), (pos0 + n) * 2 * KV + KV);
  }
  return out;
};
