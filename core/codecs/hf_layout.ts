/**
 * Our tensors ↔ Hugging Face checkpoint tensors, both families, as a table of (ours, HF name, HF
 * shape, how values move). GPT-2 (transformers GPT2LMHeadModel): `transformer.wte/wpe/ln_f`,
 * `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}.{weight,bias}`,
 * Conv1D weights stored (in, out); `lm_head` is tied to wte. Llama (LlamaForCausalLM):
 * `model.embed_tokens`, `model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
 * post_attention_layernorm, mlp.{gate,up,down}_proj}` (gate → w1, up → w3, down → w2),
 * `model.norm`, `lm_head` (absent when tied); Qwen3 adds `self_attn.{q,k}_norm`. Mistral, Qwen3 and Gemma
 * (MistralForCausalLM, Qwen3ForCausalLM, GemmaForCausalLM) use these same names. A spec with interleaved
 * rotary has its q/k rows (and q/k norm gains) permuted to HF's half split on the way out and back on the
 * way in (core/model/relayout.ts), and so its q/k biases. The rotary features' tensors (core/model/tensors.ts):
 * `self_attn.{q,k,v,o}_proj.bias` (bq bk bv bo; Qwen2's q, k, v and Llama's attention_bias),
 * `mlp.{gate,up,down}_proj.bias` (b1 b3 b2), the LayerNorm kind's `input_layernorm.bias`,
 * `post_attention_layernorm.bias`, `model.norm.bias`, and `lm_head.bias` (lmheadb).
 * GPT-NeoX and Phi: core/codecs/hf_layout_neox_phi.ts; GPT-NeoX's fused query_key_value is one HF tensor for three
 * of ours (wq wk wv, or bq bk bv): each is read from it, and hfOutSlots / hfOutData write it once, fused.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import { permuteRotaryRows, transpose, unpermuteRotaryRows } from "../model/relayout.ts";
import { headDim, kvHeads, type ModelSpec, rotaryDims } from "../model/spec.ts";
import { allTensors, type Shape, unsafeTensor, type Weights } from "../model/tensors.ts";
import { isNeoxPhi } from "./hf_config_neox_phi.ts";
import { fuseQkv, neoxPhiLayout, qkvParts, splitQkv } from "./hf_layout_neox_phi.ts";

type Move = "copy" | "transpose" | "rotaryQ" | "rotaryK" | "rotaryQb" | "rotaryKb" | "rotaryGain" | "qkv"; // …b: a bias, one value per row
export interface HfSlot {
  readonly ours: string;
  readonly hf: string;
  readonly hfShape: Shape;
  readonly move: Move;
  /** A part of a fused HF tensor (move "qkv"): our tensors in it, in its order. */
  readonly fused?: readonly [string, string, string];
}
export interface HfTensor {
  readonly name: string;
  readonly shape: Shape;
  readonly data: Float32Array;
}

const GPT2: Readonly<Record<string, readonly [string, Move]>> = {
  ln1w: ["ln_1.weight", "copy"],
  ln1b: ["ln_1.bias", "copy"],
  qkvw: ["attn.c_attn.weight", "transpose"],
  qkvb: ["attn.c_attn.bias", "copy"],
  attprojw: ["attn.c_proj.weight", "transpose"],
  attprojb: ["attn.c_proj.bias", "copy"],
  ln2w: ["ln_2.weight", "copy"],
  ln2b: ["ln_2.bias", "copy"],
  fcw: ["mlp.c_fc.weight", "transpose"],
  fcb: ["mlp.c_fc.bias", "copy"],
  fcprojw: ["mlp.c_proj.weight", "transpose"],
  fcprojb: ["mlp.c_proj.bias", "copy"],
  wte: ["transformer.wte.weight", "copy"],
  wpe: ["transformer.wpe.weight", "copy"],
  lnfw: ["transformer.ln_f.weight", "copy"],
  lnfb: ["transformer.ln_f.bias", "copy"],
};
const LLAMA: Readonly<Record<string, readonly [string, Move]>> = {
  attnnorm: ["input_layernorm.weight", "copy"],
  wq: ["self_attn.q_proj.weight", "rotaryQ"],
  wk: ["self_attn.k_proj.weight", "rotaryK"],
  wv: ["self_attn.v_proj.weight", "copy"],
  wo: ["self_attn.o_proj.weight", "copy"],
  ffnnorm: ["post_attention_layernorm.weight", "copy"],
  w1: ["mlp.gate_proj.weight", "copy"],
  w2: ["mlp.down_proj.weight", "copy"],
  w3: ["mlp.up_proj.weight", "copy"],
  wte: ["model.embed_tokens.weight", "copy"],
  normf: ["model.norm.weight", "copy"],
  lmhead: ["lm_head.weight", "copy"],
  bq: ["self_attn.q_proj.bias", "rotaryQb"],
  bk: ["self_attn.k_proj.bias", "rotaryKb"],
  bv: ["self_attn.v_proj.bias", "copy"],
  bo: ["self_attn.o_proj.bias", "copy"],
  b1: ["mlp.gate_proj.bias", "copy"],
  b2: ["mlp.down_proj.bias", "copy"],
  b3: ["mlp.up_proj.bias", "copy"],
  attnnormb: ["input_layernorm.bias", "copy"],
  ffnnormb: ["post_attention_layernorm.bias", "copy"],
  normfb: ["model.norm.bias", "copy"],
  lmheadb: ["lm_head.bias", "copy"],
  qnorm: ["self_attn.q_norm.weight", "rotaryGain"], // Qwen3
  knorm: ["self_attn.k_norm.weight", "rotaryGain"],
};

/** The HF slot of every tensor of the spec, in our order. */
export const hfSlots = (s: ModelSpec): ReadonlyArray<HfSlot> =>
  allTensors(s).map(({ name, shape }) => {
    const m = /^h\.(\d+)\.(\w+)$/.exec(name), family = isNeoxPhi(s) ? neoxPhiLayout(s.family) : undefined;
    const local = m ? m[2]! : name, table = family?.table ?? (s._tag === "gpt2" ? GPT2 : LLAMA);
    const [suffix, move] = table[local]!;
    const blocks = family?.blocks ?? (s._tag === "gpt2" ? "transformer.h" : "model.layers");
    const hf = m ? `${blocks}.${m[1]}.${suffix}` : suffix;
    if (move === "qkv") {
      return { ours: name, hf, hfShape: [3 * shape[0]!, ...shape.slice(1)], move, fused: qkvParts(name) };
    }
    const hfShape = move === "transpose" ? [...shape].reverse() : shape;
    return {
      ours: name,
      hf,
      hfShape,
      move: s._tag === "llama" && s.ropeStyle === "half" && move !== "transpose" ? "copy" : move,
    };
  });

const apply = (s: ModelSpec, slot: HfSlot, x: Float32Array, out: boolean): Float32Array => {
  const D = headDim(s), C = s.nEmbd, R = s._tag === "llama" ? rotaryDims(s) : D;
  switch (slot.move) {
    case "copy":
      return x;
    case "transpose":
      return out ? transpose(x, slot.hfShape[1]!, slot.hfShape[0]!) : transpose(x, slot.hfShape[0]!, slot.hfShape[1]!);
    case "rotaryQ":
      return (out ? permuteRotaryRows : unpermuteRotaryRows)(x, s.nHead, D, C, R);
    case "rotaryK":
      return (out ? permuteRotaryRows : unpermuteRotaryRows)(x, kvHeads(s), D, C, R);
    case "rotaryQb":
      return (out ? permuteRotaryRows : unpermuteRotaryRows)(x, s.nHead, D, 1, R);
    case "rotaryKb":
      return (out ? permuteRotaryRows : unpermuteRotaryRows)(x, kvHeads(s), D, 1, R);
    case "rotaryGain": // a per-head gain (D) follows its head's rows: one head of one column
      return (out ? permuteRotaryRows : unpermuteRotaryRows)(x, 1, D, 1, R);
    case "qkv": // one part in; out, the three are fused by hfOutData
      if (out) throw new Error(`Cannot write ${slot.ours} alone: it is part of the fused ${slot.hf}`);
      return splitQkv(x, slot.fused!.indexOf(slot.ours), s.nHead, D);
  }
};

/** The HF tensors to write, each once: a fused tensor is written from its first part's slot. */
export const hfOutSlots = (s: ModelSpec): ReadonlyArray<HfSlot> =>
  hfSlots(s).filter((x) => x.fused === undefined || x.fused[0] === x.ours);

/** One HF tensor's values from our weights (a fused tensor from all its parts). */
export const hfOutData = (s: ModelSpec, slot: HfSlot, w: Weights): Float32Array =>
  slot.fused === undefined ? apply(s, slot, unsafeTensor(w, slot.ours), true) : fuseQkv(
    [0, 1, 2].map((k) => unsafeTensor(w, slot.fused![k]!)) as [Float32Array, Float32Array, Float32Array],
    s.nHead,
    headDim(s),
  );

/** Our weights in HF layout (copies share nothing with the input only where values move). */
export const toHfTensors = (s: ModelSpec, w: Weights): ReadonlyArray<HfTensor> =>
  hfOutSlots(s).map((slot) => ({ name: slot.hf, shape: slot.hfShape, data: hfOutData(s, slot, w) }));

/** Buffers and tied copies that checkpoints carry and we do not need. */
const IGNORED = /(^|\.)(attn|attention)\.(bias|masked_bias)$|rotary_emb\.inv_freq$/;

/** Stored names as we look them up: GPT-2 names may come without the "transformer." prefix. */
const canonical = (s: ModelSpec, name: string): string =>
  s._tag === "gpt2" && !name.startsWith("transformer.") && name !== "lm_head.weight" ? `transformer.${name}` : name;

/** Where each slot's values are stored: the stored tensor's key (a tied Llama may store wte as lm_head). */
export interface SlotMatch {
  readonly slot: HfSlot;
  readonly key: string; // the name as stored in the file
}

/**
 * Match a spec's slots to stored tensors by name and shape, values unread (the stored map may hold only
 * headers); shapes must match what the config implies, and nothing unknown may be left.
 */
export const matchHfSlots = (
  s: ModelSpec,
  stored: ReadonlyMap<string, { readonly shape: Shape }>,
  source: string,
): E.Either<AppError, ReadonlyArray<SlotMatch>> => {
  const bad = (why: string) =>
    appError(
      "BadConfig",
      `Cannot load ${source}: ${why}`,
      "the config.json does not describe these weights; use the config that came with the checkpoint",
    );
  const byName = new Map([...stored].map(([k, v]) => [canonical(s, k), { key: k, shape: v.shape }]));
  const family = isNeoxPhi(s) ? neoxPhiLayout(s.family) : undefined;
  const head = family?.head ?? "lm_head.weight", embedding = family?.table["wte"]?.[0] ?? "model.embed_tokens.weight";
  const tiedAlias = s._tag === "llama" && s.tiedHead && !byName.has(embedding) ? head : undefined;
  const matches: SlotMatch[] = [], used = new Set<string>();
  for (const slot of hfSlots(s)) {
    const name = slot.ours === "wte" && tiedAlias !== undefined ? tiedAlias : slot.hf;
    const x = byName.get(name);
    if (x === undefined) return E.left(bad(`tensor ${slot.hf} is missing`));
    if (x.shape.length !== slot.hfShape.length || x.shape.some((d, i) => d !== slot.hfShape[i])) {
      return E.left(
        bad(`tensor ${name} has shape [${x.shape.join(", ")}] but the config implies [${slot.hfShape.join(", ")}]`),
      );
    }
    matches.push({ slot, key: x.key });
    used.add(name);
  }
  const tiedCopy = (k: string) => k === head && (s._tag === "gpt2" || (s._tag === "llama" && s.tiedHead));
  const extra = [...byName.keys()].filter((k) => !used.has(k) && !IGNORED.test(k) && !tiedCopy(k));
  if (extra.length > 0) {
    return E.left(
      bad(
        `it holds tensors the config has no place for (${extra.slice(0, 3).join(", ")}${
          extra.length > 3 ? ", …" : ""
        }); n_layer or the architecture disagree`,
      ),
    );
  }
  return E.right(matches);
};

/** One slot's values from our layout into HF's (a copy where values move; the same array where they do not). */
export const toHfLayout = (s: ModelSpec, slot: HfSlot, x: Float32Array): Float32Array => apply(s, slot, x, true);

/** One slot's values from HF layout into ours (a copy where values move; the same array where they do not). */
export const fromHfLayout = (s: ModelSpec, slot: HfSlot, x: Float32Array): Float32Array => apply(s, slot, x, false);

/** Our weights from HF tensors, matched by matchHfSlots. */
export const fromHfTensors = (
  s: ModelSpec,
  stored: ReadonlyMap<string, { readonly shape: Shape; readonly data: Float32Array }>,
  source: string,
): E.Either<AppError, Weights> =>
  E.map((ms: ReadonlyArray<SlotMatch>) =>
    Object.fromEntries(ms.map(({ slot, key }) => [slot.ours, apply(s, slot, stored.get(key)!.data, false)]))
  )(matchHfSlots(s, stored, source));
