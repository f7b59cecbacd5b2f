/**
 * Hugging Face tensor names of GPT-NeoX (GPTNeoXForCausalLM) and Phi (PhiForCausalLM), and GPT-NeoX's fused
 * attention. GPT-NeoX: `gpt_neox.embed_in`, `gpt_neox.layers.N.{input_layernorm, attention.query_key_value,
 * attention.dense, post_attention_layernorm, mlp.dense_h_to_4h, mlp.dense_4h_to_h}`, `gpt_neox.final_layer_norm`,
 * `embed_out` (the untied head). Phi: `model.embed_tokens`, `model.layers.N.{input_layernorm, self_attn.{q,k,v}_proj,
 * self_attn.dense, mlp.fc1, mlp.fc2}`, `model.final_layernorm`, `lm_head` (weight and bias). Every linear and
 * LayerNorm has `.weight` and `.bias`; ours are named as core/model/tensors.ts says.
 * GPT-NeoX's query_key_value weight is (3·NH·D, C) with its rows grouped by head, [q_h; k_h; v_h] for h = 0..NH−1
 * (GPTNeoXAttention views its output as (…, NH, 3·D) and splits the last axis in three), its bias (3·NH·D) the
 * same: splitting into wq wk wv (bq bk bv) and fusing back only moves values, so the round trip is exact.
 * @module
 */

/** Our local name → the HF name's suffix; "qkv" marks a part of GPT-NeoX's fused query_key_value. */
export type NeoxPhiMove = "copy" | "qkv";
type Table = Readonly<Record<string, readonly [string, NeoxPhiMove]>>;

const norms = (attn: string, ffn: string | undefined): Table => ({
  attnnorm: [`${attn}.weight`, "copy"],
  attnnormb: [`${attn}.bias`, "copy"],
  ...(ffn === undefined ? {} : { ffnnorm: [`${ffn}.weight`, "copy"], ffnnormb: [`${ffn}.bias`, "copy"] }),
});

const NEOX: Table = {
  ...norms("input_layernorm", "post_attention_layernorm"),
  wq: ["attention.query_key_value.weight", "qkv"],
  wk: ["attention.query_key_value.weight", "qkv"],
  wv: ["attention.query_key_value.weight", "qkv"],
  bq: ["attention.query_key_value.bias", "qkv"],
  bk: ["attention.query_key_value.bias", "qkv"],
  bv: ["attention.query_key_value.bias", "qkv"],
  wo: ["attention.dense.weight", "copy"],
  bo: ["attention.dense.bias", "copy"],
  w1: ["mlp.dense_h_to_4h.weight", "copy"],
  b1: ["mlp.dense_h_to_4h.bias", "copy"],
  w2: ["mlp.dense_4h_to_h.weight", "copy"],
  b2: ["mlp.dense_4h_to_h.bias", "copy"],
  wte: ["gpt_neox.embed_in.weight", "copy"],
  normf: ["gpt_neox.final_layer_norm.weight", "copy"],
  normfb: ["gpt_neox.final_layer_norm.bias", "copy"],
  lmhead: ["embed_out.weight", "copy"],
};

const PHI: Table = {
  ...norms("input_layernorm", undefined),
  wq: ["self_attn.q_proj.weight", "copy"],
  bq: ["self_attn.q_proj.bias", "copy"],
  wk: ["self_attn.k_proj.weight", "copy"],
  bk: ["self_attn.k_proj.bias", "copy"],
  wv: ["self_attn.v_proj.weight", "copy"],
  bv: ["self_attn.v_proj.bias", "copy"],
  wo: ["self_attn.dense.weight", "copy"],
  bo: ["self_attn.dense.bias", "copy"],
  w1: ["mlp.fc1.weight", "copy"],
  b1: ["mlp.fc1.bias", "copy"],
  w2: ["mlp.fc2.weight", "copy"],
  b2: ["mlp.fc2.bias", "copy"],
  wte: ["model.embed_tokens.weight", "copy"],
  normf: ["model.final_layernorm.weight", "copy"],
  normfb: ["model.final_layernorm.bias", "copy"],
  lmhead: ["lm_head.weight", "copy"],
  lmheadb: ["lm_head.bias", "copy"],
};

/** The family's table, the prefix of its block names and its head's HF name. */
export const neoxPhiLayout = (family: "gpt_neox" | "phi") =>
  family === "gpt_neox"
    ? { table: NEOX, blocks: "gpt_neox.layers", head: "embed_out.weight" }
    : { table: PHI, blocks: "model.layers", head: "lm_head.weight" };

/** Our three parts of a fused tensor, in its order: [wq, wk, wv] or [bq, bk, bv] of one block. */
export const qkvParts = (ours: string): readonly [string, string, string] => {
  const m = /^(.*\.)([wb])[qkv]$/.exec(ours);
  if (m === null) throw new Error(`Cannot fuse ${ours} into query_key_value: it is not a q, k or v tensor`);
  return [`${m[1]}${m[2]}q`, `${m[1]}${m[2]}k`, `${m[1]}${m[2]}v`];
};

/**
 * Part `part` (0 q, 1 k, 2 v) of a fused (3·NH·D, cols) tensor: rows h·3D + part·D .. +D of each head h,
 * into our (NH·D, cols) layout.
 */
export const splitQkv = (fused: Float32Array, part: number, NH: number, D: number): Float32Array => {
  const cols = fused.length / (3 * NH * D), y = new Float32Array(NH * D * cols);
  for (let h = 0; h < NH; h++) {
    const from = (h * 3 + part) * D * cols;
    y.set(fused.subarray(from, from + D * cols), h * D * cols);
  }
  return y;
};

/** The inverse: our q, k and v (NH·D, cols) each, fused head by head as [q_h; k_h; v_h]. */
export const fuseQkv = (parts: readonly [Float32Array, Float32Array, Float32Array], NH: number, D: number) => {
  const cols = parts[0].length / (NH * D), y = new Float32Array(3 * NH * D * cols);
  for (let h = 0; h < NH; h++) {
    parts.forEach((p, part) => y.set(p.subarray(h * D * cols, (h + 1) * D * cols), (h * 3 + part) * D * cols));
  }
  return y;
};
