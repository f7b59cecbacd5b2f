/**
 * A tiny random Qwen2 checkpoint in Hugging Face layout (config.json with model_type "qwen2" + model.safetensors under
 * transformers' names, q/k/v biases, no o bias, tied head, rope_theta 1e6, GQA 4/2), built here, end to end: it
 * imports; greedy ids on the CPU (KV-cache decoding) and on the GPU (every kernel profile) are those of an independent
 * float64 reading of transformers' Qwen2 written in this file from its conventions (RMSNorm x·rsqrt(mean x² + ε)·w,
 * rotate_half rotary with inv_freq θ^(−2j/D), repeat_kv grouping, silu(gate)·up, lm_head = embed_tokens), never from
 * our model code; an inherited target's blocks reproduce the reference's bit for bit on the CPU and the GPU; the
 * target trains a step on the GPU; and it exports as Qwen2ForCausalLM and re-imports bit for bit.
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { loadHfModel, saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { loadDirTensors, saveDirTensors } from "../../adapters/formats/safetensors_index.ts";
import { argmax } from "../../core/generate/sample.ts";
import { decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { blockForward, forward } from "../../core/model/forward.ts";
import { targetWeights } from "../../core/model/init.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { planInheritance } from "../../core/surgery/plan.ts";
import { createGpuModel } from "../../gpu/model/model.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { freshDir, right } from "../tmp.ts";
import { MODEL_PROFILES, unwrap, useGpu } from "./_device.ts";

const CONFIG = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 40,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  hidden_act: "silu",
  tie_word_embeddings: true,
  use_sliding_window: false,
  sliding_window: 4096,
  max_window_layers: 2,
  bos_token_id: 1,
  eos_token_id: 2,
  torch_dtype: "float32",
};
const C = 16, F = 24, L = 3, NH = 4, NKV = 2, D = 4, V = 40, EPS = 1e-6, THETA = 1e6;

/** Uniform values in ±scale from a seeded LCG (Numerical Recipes' constants): the same checkpoint every run. */
const values = (n: number, seed: number, scale: number, offset = 0): Float32Array => {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return offset + scale * (2 * (a / 2 ** 32) - 1);
  });
};

/** The checkpoint's tensors by transformers' names, shapes (out, in) as nn.Linear stores them. */
const hfTensors = (): Map<string, { shape: number[]; data: Float32Array }> => {
  const m = new Map<string, { shape: number[]; data: Float32Array }>();
  let seed = 7;
  const put = (name: string, shape: number[], scale: number, offset = 0) =>
    m.set(name, { shape, data: values(shape.reduce((a, b) => a * b, 1), seed++, scale, offset) });
  put("model.embed_tokens.weight", [V, C], 0.3);
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`;
    put(`${p}input_layernorm.weight`, [C], 0.3, 1);
    put(`${p}self_attn.q_proj.weight`, [NH * D, C], 0.5);
    put(`${p}self_attn.q_proj.bias`, [NH * D], 0.5);
    put(`${p}self_attn.k_proj.weight`, [NKV * D, C], 0.5);
    put(`${p}self_attn.k_proj.bias`, [NKV * D], 0.5);
    put(`${p}self_attn.v_proj.weight`, [NKV * D, C], 0.5);
    put(`${p}self_attn.v_proj.bias`, [NKV * D], 0.5);
    put(`${p}self_attn.o_proj.weight`, [C, NH * D], 0.5);
    put(`${p}post_attention_layernorm.weight`, [C], 0.3, 1);
    put(`${p}mlp.gate_proj.weight`, [F, C], 0.5);
    put(`${p}mlp.up_proj.weight`, [F, C], 0.5);
    put(`${p}mlp.down_proj.weight`, [C, F], 0.5);
  }
  put("model.norm.weight", [C], 0.3, 1);
  return m;
};

// ---- An independent float64 reading of transformers' Qwen2 forward, on the HF tensors themselves ----
type Hf = ReadonlyMap<string, { readonly data: Float32Array }>;
const get = (hf: Hf, name: string) => hf.get(name)!.data;
const rmsNormRow = (x: number[], w: Float32Array): number[] => {
  const variance = x.reduce((a, v) => a + v * v, 0) / x.length;
  return x.map((v, c) => v / Math.sqrt(variance + EPS) * w[c]!);
};
/** nn.Linear: y = x·Wᵀ + b, W (out, in). */
const linearRow = (x: number[], w: Float32Array, out: number, b?: Float32Array): number[] =>
  Array.from({ length: out }, (_, o) => x.reduce((a, v, i) => a + v * w[o * x.length + i]!, b?.[o] ?? 0));
/** apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, per head, emb = cat(freqs, freqs), rotate_half = cat(−x₂, x₁). */
const rotary = (x: number[], pos: number): number[] =>
  x.map((v, idx) => {
    const d = idx % D, j = d % (D / 2), angle = pos * THETA ** (-(2 * j) / D);
    const partner = d < D / 2 ? -x[idx + D / 2]! : x[idx - D / 2]!;
    return v * Math.cos(angle) + partner * Math.sin(angle);
  });

const hfLogitsOfLast = (hf: Hf, ids: ReadonlyArray<number>): number[] => {
  const E0 = get(hf, "model.embed_tokens.weight");
  let xs = ids.map((t) => Array.from(E0.subarray(t * C, (t + 1) * C)));
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`, W = (n: string) => get(hf, p + n);
    const xn = xs.map((x) => rmsNormRow(x, W("input_layernorm.weight")));
    const q = xn.map((x, t) =>
      rotary(linearRow(x, W("self_attn.q_proj.weight"), NH * D, W("self_attn.q_proj.bias")), t)
    );
    const k = xn.map((x, t) =>
      rotary(linearRow(x, W("self_attn.k_proj.weight"), NKV * D, W("self_attn.k_proj.bias")), t)
    );
    const v = xn.map((x) => linearRow(x, W("self_attn.v_proj.weight"), NKV * D, W("self_attn.v_proj.bias")));
    const att = q.map((qt, t) =>
      Array.from({ length: NH }, (_, h) => {
        const g = Math.floor(h / (NH / NKV)); // repeat_kv: query head h reads kv head h // n_rep
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qt[h * D + d]! * k[s]![g * D + d]!;
          return dot / Math.sqrt(D);
        });
        const m = Math.max(...scores), e = scores.map((z) => Math.exp(z - m)), z = e.reduce((a, b) => a + b, 0);
        return Array.from({ length: D }, (_, d) => e.reduce((a, pr, s) => a + (pr / z) * v[s]![g * D + d]!, 0));
      }).flat()
    );
    xs = xs.map((x, t) => linearRow(att[t]!, W("self_attn.o_proj.weight"), C).map((o, c) => x[c]! + o));
    xs = xs.map((x) => {
      const h = rmsNormRow(x, W("post_attention_layernorm.weight"));
      const gate = linearRow(h, W("mlp.gate_proj.weight"), F), up = linearRow(h, W("mlp.up_proj.weight"), F);
      const act = gate.map((g, f) => (g / (1 + Math.exp(-g))) * up[f]!);
      return linearRow(act, W("mlp.down_proj.weight"), C).map((o, c) => x[c]! + o);
    });
  }
  return linearRow(rmsNormRow(xs.at(-1)!, get(hf, "model.norm.weight")), E0, V); // tied lm_head
};

const PROMPT = [1, 17, 5], NEW = 12;
const hfGreedy = (hf: Hf): number[] => {
  const ids = [...PROMPT];
  for (let n = 0; n < NEW; n++) ids.push(argmax(hfLogitsOfLast(hf, ids)));
  return ids.slice(PROMPT.length);
};
const cpuGreedy = (s: ModelSpec, w: Weights): number[] => {
  let st = startDecoding(s), logits: Float32Array = new Float32Array(0);
  const out: number[] = [];
  for (const t of PROMPT) ({ logits, state: st } = decodeStep(s, w, st, t));
  for (let n = 0; n < NEW; n++) {
    out.push(argmax(logits));
    ({ logits, state: st } = decodeStep(s, w, st, out.at(-1)!));
  }
  return out;
};

const gpu = useGpu();
let dir: string, hf: Hf, model: { spec: ModelSpec; weights: Weights };
beforeAll(async () => {
  dir = freshDir();
  const ts = hfTensors();
  right(await saveDirTensors(dir, [...ts].map(([name, t]) => ({ name, ...t })), "F32", { format: "pt" })());
  writeFileSync(join(dir, "config.json"), JSON.stringify(CONFIG));
  hf = ts;
  model = right(await loadHfModel(dir)());
});

describe("a tiny random Qwen2 checkpoint in Hugging Face layout", () => {
  test("imports as a tied GQA Qwen2 with q/k/v biases (o, MLP and norms without)", () => {
    expect(model.spec).toMatchObject({ _tag: "llama", family: "qwen2", qkvBias: true, nKvHead: 2, tiedHead: true });
    expect(Object.keys(model.weights).filter((k) => /\.b[a-z0-9]+$/.test(k)).sort()).toEqual(
      [0, 1, 2].flatMap((i) => [`h.${i}.bk`, `h.${i}.bq`, `h.${i}.bv`]).sort(),
    );
  });

  test("greedy ids on the CPU are those of the independent float64 reading of transformers' Qwen2", () => {
    const want = hfGreedy(hf);
    expect(new Set(want).size, "the checkpoint's greedy run is not degenerate").toBeGreaterThan(3);
    expect(cpuGreedy(model.spec, model.weights)).toEqual(want);
  });

  test.each(MODEL_PROFILES)("greedy ids on the GPU (%s kernels, KV-cache decoder) are the same", async (profile) => {
    const m = unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights, { profile })());
    const dec = unwrap(m.decoder()), out: number[] = [];
    let logits: Float32Array = new Float32Array(0);
    for (const t of PROMPT) logits = unwrap(await dec.step(t)());
    for (let n = 0; n < NEW; n++) {
      out.push(argmax(logits));
      logits = unwrap(await dec.step(out.at(-1)!)());
    }
    dec.destroy();
    m.destroy();
    expect(out).toEqual(hfGreedy(hf));
  });

  test("an inherited target (blocks 0 and 2) maps each block's input as the reference block does, bit for bit, on the CPU and the GPU", async () => {
    const plan = right(planInheritance(model.spec, { _tag: "blocks", indices: [0, 2] }));
    const tw = targetWeights(plan, model.weights, 1), T = 6, x = values(T * C, 99, 1);
    const refGpu = unwrap(await createGpuModel(gpu().kernels, model.spec, model.weights)());
    const tgtGpu = unwrap(await createGpuModel(gpu().kernels, plan.target, tw)());
    for (const [k, j] of plan.blocks.entries()) {
      expect(blockForward(plan.target, tw, k, x).x).toEqual(blockForward(model.spec, model.weights, j, x).x);
      const got = unwrap(await tgtGpu.blockForward(k, x, 1, T)()),
        want = unwrap(await refGpu.blockForward(j, x, 1, T)());
      expect(got.every((g, i) => Object.is(g, want[i]))).toBe(true);
    }
    refGpu.destroy();
    tgtGpu.destroy();
  });

  test("the target trains a step on the GPU (its loss on the batch falls), exports as Qwen2ForCausalLM and re-imports bit for bit", async () => {
    const plan = right(planInheritance(model.spec, { _tag: "first", n: 2 }));
    const B = 2, T = 8, tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % V);
    const targets = tokens.map((_, i) => tokens[(i + 1) % tokens.length]!);
    const trainer = unwrap(
      await createGpuTrainer(gpu().kernels, plan.target, { weights: targetWeights(plan, model.weights, 1) })(),
    );
    const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };
    const before = unwrap(await trainer.evalLoss({ tokens, targets }, B, T)());
    const step = unwrap(await trainer.step([{ tokens, targets }], B, T, hp)());
    const after = unwrap(await trainer.evalLoss({ tokens, targets }, B, T)());
    expect(step.loss).toBeCloseTo(before, 5);
    expect(after).toBeLessThan(before);
    const trained = unwrap(await trainer.state()()).weights;
    trainer.destroy();
    const out = join(freshDir(), "qwen2-target");
    right(await saveHfModel(out, { spec: plan.target, weights: trained, dtype: "F32", bos: 1, eos: 2 })());
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(cfg).toMatchObject({
      architectures: ["Qwen2ForCausalLM"],
      model_type: "qwen2",
      num_hidden_layers: 2,
      rope_theta: 1e6,
      tie_word_embeddings: true,
      use_sliding_window: false,
    });
    const names = [...right(await loadDirTensors(out)()).tensors.keys()];
    expect(names).toContain("model.layers.1.self_attn.q_proj.bias");
    expect(names.filter((n) => /o_proj\.bias|mlp\..*\.bias|lm_head/.test(n))).toEqual([]);
    const back = right(await loadHfModel(out)());
    expect(back.spec).toEqual(plan.target);
    expect(back.weights).toEqual(trained);
    expect(forward(back.spec, back.weights, tokens, B, T).logits).toEqual(
      forward(plan.target, trained, tokens, B, T).logits,
    );
  });
});
