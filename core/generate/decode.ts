/**
 * Token-by-token decoding with a KV cache, on the CPU reference blocks (core/model/forward.ts).
 * Each step feeds one token at the next position and returns that position's logits (V).
 * @module
 */
import { blockForward, emptyKv, headLogits, type KvRows } from "../model/forward.ts";
import { embed } from "../ops/embed.ts";
import type { ModelSpec } from "../model/spec.ts";
import type { Weights } from "../model/tensors.ts";

export interface DecodeState {
  readonly pos: number; // the position the next token goes to
  readonly kv: ReadonlyArray<KvRows>; // one per block
}

export const startDecoding = (s: ModelSpec): DecodeState => ({
  pos: 0,
  kv: Array.from({ length: s.nLayer }, () => emptyKv),
});

export const decodeStep = (
  s: ModelSpec,
  w: Weights,
  st: DecodeState,
  token: number,
): { logits: Float32Array; state: DecodeState } => {
  let x = embed(s, w, [token], st.pos);
  const kv: KvRows[] = [];
  for (let i = 0; i < s.nLayer; i++) {
    const r = blockForward(s, w, i, x, st.pos, st.kv[i]!);
    x = r.x;
    kv.push(r.kv);
  }
  return { logits: headLogits(s, w, x), state: { pos: st.pos + 1, kv } };
};
