/**
 * Tiny random Pythia (GPT-NeoX) and Phi-2 checkpoints in Hugging Face layout, written by the tests themselves: the
 * real config.json of pythia-70m / phi-2 (assets/configs) with its sizes shrunk, and a model.safetensors of seeded
 * random tensors under transformers' names and shapes (GPT-NeoX's fused query_key_value (3·NH·D, C) included).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outFromF32 } from "../../../adapters/formats/safetensors.ts";
import { writeDirTensors } from "../../../adapters/formats/safetensors_index.ts";
import type { HfArch } from "./_hf_neox_phi_reference.ts";

const asset = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../assets/configs/${name}.config.json`, import.meta.url), "utf8"));

/** C 16, 2 heads of 8 with 4 rotating (Phi: GQA 2/1), 2 layers, F 24, V 40, context 16. */
const SIZES = { hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 24, vocab_size: 40 };
export const TINY_PYTHIA = { ...asset("pythia-70m"), ...SIZES, max_position_embeddings: 16, rotary_pct: 0.5 };
export const TINY_PHI = {
  ...asset("phi-2"),
  ...SIZES,
  num_key_value_heads: 1,
  max_position_embeddings: 16,
  partial_rotary_factor: 0.5,
};

export const archOf = (c: Record<string, unknown>): HfArch => {
  const neox = c["model_type"] === "gpt_neox", C = c["hidden_size"] as number, NH = c["num_attention_heads"] as number;
  return {
    family: neox ? "gpt_neox" : "phi",
    C,
    NH,
    NKV: neox ? NH : (c["num_key_value_heads"] as number),
    L: c["num_hidden_layers"] as number,
    V: c["vocab_size"] as number,
    R: Math.trunc(((neox ? c["rotary_pct"] : c["partial_rotary_factor"]) as number) * (C / NH)),
    base: (neox ? c["rotary_emb_base"] : c["rope_theta"]) as number,
    eps: c["layer_norm_eps"] as number,
    parallel: neox && c["use_parallel_residual"] === true,
    exactGelu: c["hidden_act"] === "gelu",
  };
};

/** HF name → shape, as GPTNeoXForCausalLM / PhiForCausalLM hold them. */
const shapes = (c: Record<string, unknown>): ReadonlyArray<readonly [string, ReadonlyArray<number>]> => {
  const a = archOf(c), F = c["intermediate_size"] as number, C = a.C, D = C / a.NH, KV = a.NKV * D;
  const ln = (n: string) => [[`${n}.weight`, [C]], [`${n}.bias`, [C]]] as const;
  const linear = (n: string, O: number, I: number) => [[`${n}.weight`, [O, I]], [`${n}.bias`, [O]]] as const;
  const layer = (l: number) => {
    if (a.family === "gpt_neox") {
      const p = `gpt_neox.layers.${l}`;
      return [
        ...ln(`${p}.input_layernorm`),
        ...ln(`${p}.post_attention_layernorm`),
        ...linear(`${p}.attention.query_key_value`, 3 * C, C),
        ...linear(`${p}.attention.dense`, C, C),
        ...linear(`${p}.mlp.dense_h_to_4h`, F, C),
        ...linear(`${p}.mlp.dense_4h_to_h`, C, F),
      ];
    }
    const p = `model.layers.${l}`;
    return [
      ...ln(`${p}.input_layernorm`),
      ...linear(`${p}.self_attn.q_proj`, C, C),
      ...linear(`${p}.self_attn.k_proj`, KV, C),
      ...linear(`${p}.self_attn.v_proj`, KV, C),
      ...linear(`${p}.self_attn.dense`, C, C),
      ...linear(`${p}.mlp.fc1`, F, C),
      ...linear(`${p}.mlp.fc2`, C, F),
    ];
  };
  const layers = Array.from({ length: a.L }, (_, l) => layer(l)).flat();
  return a.family === "gpt_neox"
    ? [["gpt_neox.embed_in.weight", [a.V, C]], ...layers, ...ln("gpt_neox.final_layer_norm"), [
      "embed_out.weight",
      [a.V, C],
    ]]
    : [
      ["model.embed_tokens.weight", [a.V, C]],
      ...layers,
      ...ln("model.final_layernorm"),
      ...linear("lm_head", a.V, C),
    ];
};

/** Seeded uniforms in [−1, 1) (an LCG: only reproducibility matters here). */
const uniforms = (seed: number) => {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
};

/** Random tensors like an init: matrices ±1/√fan_in, LayerNorm gains 1 ± 0.3, biases ±0.1. */
export const tinyTensors = (c: Record<string, unknown>, seed: number): Map<string, Float32Array> => {
  const next = uniforms(seed);
  return new Map(
    shapes(c).map(([name, shape]) => {
      const n = shape.reduce((x, y) => x * y, 1), gain = /layernorm\.weight|layer_norm\.weight/.test(name);
      const scale = shape.length === 2 ? 1 / Math.sqrt(shape[1]!) : gain ? 0.3 : 0.1;
      return [name, Float32Array.from({ length: n }, () => (gain ? 1 : 0) + scale * next())];
    }),
  );
};

/** Write config.json and model.safetensors of a tiny checkpoint into a new temporary directory. */
export const writeTinyCheckpoint = async (c: Record<string, unknown>, seed: number) => {
  const dir = mkdtempSync(join(tmpdir(), `tiny-${c["model_type"]}-`)), tensors = tinyTensors(c, seed);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...c, torch_dtype: "float32" }, null, 2));
  const outs = shapes(c).map(([name, shape]) => outFromF32({ name, shape, data: tensors.get(name)! }, "F32"));
  const r = await writeDirTensors(dir, outs, { format: "pt" })();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return { dir, tensors, arch: archOf(c) };
};
