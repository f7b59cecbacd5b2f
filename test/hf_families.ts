/**
 * Tiny random checkpoints of Llama 3.x, Mistral, Qwen3 and Gemma in Hugging Face layout (config.json in the
 * family's own keys, tensors under transformers' names), and an independent float64 forward written from
 * transformers' modeling code conventions (not from this project's model code): the reading the CPU and GPU
 * paths are held to.
 * Conventions read from transformers (modeling_llama/mistral/qwen3/gemma): rotate_half pairs (j, j + D/2);
 * inverse frequencies θ^(−2j/D), Llama 3's smoothed as _compute_llama3_parameters; repeat_kv gives query head
 * h the kv head ⌊h / (NH/NKV)⌋; scores scaled by D^−½; Qwen3 RMS-normalises each head of q and k (q_norm,
 * k_norm over D) before the rotary; Gemma multiplies the embedding by √C cast to the dtype (fround in f32),
 * its RMSNorm by (1 + w) and runs gelu_pytorch_tanh(gate)·up; the others silu(gate)·up.
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { saveDirTensors } from "../adapters/formats/safetensors_index.ts";
import { right } from "./tmp.ts";

export type FamilyName = "llama3" | "mistral" | "qwen3" | "gemma";

/** Each family's tiny config.json, as its transformers config would be written (keys it leaves to defaults left out). */
export const FAMILY_CONFIGS: Readonly<Record<FamilyName, Record<string, unknown>>> = {
  // heads of 8 at θ = 100: wavelengths 6.3, 19.9, 62.8, 199 against P0 / 4 = 8 and P0 = 32: one kept, one
  // blended, two divided (every llama3 band), with angles large enough at 48 positions for each to matter
  llama3: {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
    vocab_size: 40,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 100,
    rope_scaling: {
      rope_type: "llama3",
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 32,
    },
    tie_word_embeddings: false,
    hidden_act: "silu",
  },
  mistral: {
    architectures: ["MistralForCausalLM"],
    model_type: "mistral",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 40,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    sliding_window: 32,
    tie_word_embeddings: false,
    hidden_act: "silu",
  },
  qwen3: {
    architectures: ["Qwen3ForCausalLM"],
    model_type: "qwen3",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8, // attention width 32 ≠ hidden 16, as Qwen3's 2048 ≠ 1024
    vocab_size: 40,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    tie_word_embeddings: true,
    use_sliding_window: false,
    sliding_window: null,
    attention_bias: false,
    hidden_act: "silu",
  },
  gemma: {
    architectures: ["GemmaForCausalLM"],
    model_type: "gemma",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1, // multi-query, as gemma-2b
    head_dim: 8,
    vocab_size: 40,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_act: "gelu", // Gemma 1's config says gelu; transformers runs the tanh GELU (core/codecs/hf_rotary.ts)
    // tie_word_embeddings left out: GemmaConfig ties by default
  },
};

const n = (c: Record<string, unknown>, k: string) => c[k] as number;
export const dimsOf = (c: Record<string, unknown>) => {
  const C = n(c, "hidden_size"), NH = n(c, "num_attention_heads"), NKV = n(c, "num_key_value_heads");
  const D = (c["head_dim"] as number | undefined) ?? C / NH;
  return { C, NH, NKV, D, F: n(c, "intermediate_size"), L: n(c, "num_hidden_layers"), V: n(c, "vocab_size") };
};
const tied = (c: Record<string, unknown>) =>
  (c["tie_word_embeddings"] as boolean | undefined) ?? c["model_type"] === "gemma";

/** A seeded uniform stream in [−1, 1) (mulberry32). */
const uniforms = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  };
};

/** The HF tensors of a config: matrices ±1/√fan_in, norm weights 1 ± 0.3 (Gemma's around 0: its gain is 1 + w). */
export const hfTensors = (
  c: Record<string, unknown>,
  seed: number,
): Map<string, { shape: number[]; data: Float32Array }> => {
  const { C, NH, NKV, D, F, L, V } = dimsOf(c), next = uniforms(seed), gemma = c["model_type"] === "gemma";
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const matrix = (name: string, rows: number, cols: number) =>
    out.set(name, {
      shape: [rows, cols],
      data: Float32Array.from({ length: rows * cols }, () => next() / Math.sqrt(cols)),
    });
  const norm = (name: string, size: number) =>
    out.set(name, { shape: [size], data: Float32Array.from({ length: size }, () => (gemma ? 0 : 1) + 0.3 * next()) });
  matrix("model.embed_tokens.weight", V, C);
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`;
    norm(`${p}input_layernorm.weight`, C);
    matrix(`${p}self_attn.q_proj.weight`, NH * D, C);
    matrix(`${p}self_attn.k_proj.weight`, NKV * D, C);
    matrix(`${p}self_attn.v_proj.weight`, NKV * D, C);
    matrix(`${p}self_attn.o_proj.weight`, C, NH * D);
    if (c["model_type"] === "qwen3") (norm(`${p}self_attn.q_norm.weight`, D), norm(`${p}self_attn.k_norm.weight`, D));
    norm(`${p}post_attention_layernorm.weight`, C);
    matrix(`${p}mlp.gate_proj.weight`, F, C);
    matrix(`${p}mlp.up_proj.weight`, F, C);
    matrix(`${p}mlp.down_proj.weight`, C, F);
  }
  norm("model.norm.weight", C);
  if (!tied(c)) matrix("lm_head.weight", V, C);
  return out;
};

/** Writes the family's tiny checkpoint (config.json and model.safetensors, f32) into dir; `keys` override the config's. */
export const writeFamilyCheckpoint = async (
  dir: string,
  family: FamilyName,
  seed = 7,
  keys: Readonly<Record<string, unknown>> = {},
) => {
  const c = { ...FAMILY_CONFIGS[family], ...keys }, t = hfTensors(c, seed);
  right(await saveDirTensors(dir, [...t].map(([name, x]) => ({ name, ...x })), "F32", { format: "pt" })());
  writeFileSync(join(dir, "config.json"), JSON.stringify(c, null, 2));
  return t;
};

/** Inverse frequencies as transformers computes them (default, or _compute_llama3_parameters), in float64. */
const invFreqs = (c: Record<string, unknown>, D: number): number[] => {
  const base = Array.from({ length: D / 2 }, (_, j) => 1 / Math.pow(n(c, "rope_theta"), (2 * j) / D));
  const r = c["rope_scaling"] as Record<string, number> | null | undefined;
  if (r === null || r === undefined) return base;
  const old = r["original_max_position_embeddings"]!,
    lowWl = old / r["low_freq_factor"]!,
    highWl = old / r["high_freq_factor"]!;
  return base.map((f) => {
    const wl = (2 * Math.PI) / f;
    const scaled = wl > lowWl ? f / r["factor"]! : f;
    if (wl < highWl || wl > lowWl) return scaled;
    const s = (old / wl - r["low_freq_factor"]!) / (r["high_freq_factor"]! - r["low_freq_factor"]!);
    return (1 - s) * (scaled / r["factor"]!) + s * scaled;
  });
};

type Mat = Float64Array;
const get = (t: Map<string, { data: Float32Array }>, k: string): Float64Array => Float64Array.from(t.get(k)!.data);
/** y (T, O) = x (T, I) · Wᵀ, W (O, I). */
const mm = (x: Mat, W: Mat, T: number, I: number, O: number): Mat => {
  const y = new Float64Array(T * O);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += x[t * I + i]! * W[o * I + i]!;
      y[t * O + o] = s;
    }
  }
  return y;
};
/** RMSNorm over rows of width K: x·rsqrt(mean(x²) + ε)·g, g = w or 1 + w (Gemma). */
const rms = (x: Mat, w: Mat, K: number, eps: number, offset: boolean): Mat => {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / K; r++) {
    let ss = 0;
    for (let k = 0; k < K; k++) ss += x[r * K + k]! ** 2;
    const s = 1 / Math.sqrt(ss / K + eps);
    for (let k = 0; k < K; k++) y[r * K + k] = x[r * K + k]! * s * ((offset ? 1 : 0) + w[k]!);
  }
  return y;
};
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** Logits (T, V) of one sequence at positions 0..T−1, in float64, from the HF tensors alone. */
export const referenceLogits = (
  c: Record<string, unknown>,
  t: Map<string, { data: Float32Array }>,
  tokens: ReadonlyArray<number>,
): Float64Array => {
  const { C, NH, NKV, D, F, L, V } = dimsOf(c), T = tokens.length, eps = n(c, "rms_norm_eps");
  const gemma = c["model_type"] === "gemma", qwen3 = c["model_type"] === "qwen3", inv = invFreqs(c, D);
  const E = get(t, "model.embed_tokens.weight");
  let x = new Float64Array(T * C);
  const normalizer = gemma ? Math.fround(Math.sqrt(C)) : 1;
  tokens.forEach((tok, i) => {
    for (let k = 0; k < C; k++) x[i * C + k] = E[tok * C + k]! * normalizer;
  });
  const rope = (m: Mat, H: number) => {
    for (let p = 0; p < T; p++) {
      for (let h = 0; h < H; h++) {
        for (let j = 0; j < D / 2; j++) {
          const o = (p * H + h) * D, a = p * inv[j]!, x1 = m[o + j]!, x2 = m[o + j + D / 2]!;
          m[o + j] = x1 * Math.cos(a) - x2 * Math.sin(a);
          m[o + j + D / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
    return m;
  };
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`, W = (k: string) => get(t, p + k);
    const h = rms(x, W("input_layernorm.weight"), C, eps, gemma);
    let q = mm(h, W("self_attn.q_proj.weight"), T, C, NH * D), k = mm(h, W("self_attn.k_proj.weight"), T, C, NKV * D);
    const v = mm(h, W("self_attn.v_proj.weight"), T, C, NKV * D);
    if (qwen3) {
      [q, k] = [
        rms(q, W("self_attn.q_norm.weight"), D, eps, false),
        rms(k, W("self_attn.k_norm.weight"), D, eps, false),
      ];
    }
    [q, k] = [rope(q, NH), rope(k, NKV)];
    const att = new Float64Array(T * NH * D);
    for (let i = 0; i < T; i++) {
      for (let hh = 0; hh < NH; hh++) {
        const g = Math.floor(hh / (NH / NKV)), s = new Float64Array(i + 1);
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(i * NH + hh) * D + d]! * k[(j * NKV + g) * D + d]!;
          s[j] = dot / Math.sqrt(D);
        }
        const mx = Math.max(...s), e = s.map((z) => Math.exp(z - mx)), sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (e[j]! / sum) * v[(j * NKV + g) * D + d]!;
          att[(i * NH + hh) * D + d] = acc;
        }
      }
    }
    const o = mm(att, W("self_attn.o_proj.weight"), T, NH * D, C);
    x = x.map((z, i) => z + o[i]!);
    const h2 = rms(x, W("post_attention_layernorm.weight"), C, eps, gemma);
    const gate = mm(h2, W("mlp.gate_proj.weight"), T, C, F), up = mm(h2, W("mlp.up_proj.weight"), T, C, F);
    const act = gate.map((z, i) => (gemma ? geluTanh(z) : silu(z)) * up[i]!);
    const down = mm(act, W("mlp.down_proj.weight"), T, F, C);
    x = x.map((z, i) => z + down[i]!);
  }
  const head = t.has("lm_head.weight") ? get(t, "lm_head.weight") : E;
  return mm(rms(x, get(t, "model.norm.weight"), C, eps, gemma), head, T, C, V);
};
