/**
 * Random-weight Hugging Face checkpoints of real shapes, for the scale benchmark and tests: config.json (the
 * real one, its torch_dtype set to what is written) plus safetensors in HF names and shapes
 * (core/codecs/hf_layout.ts), sharded as transformers does (adapters/formats/safetensors_index.ts). Written
 * streaming, a chunk of one tensor at a time, so the model is never held: values are seeded and cheap, about
 * N(0, 0.02) (the four bytes of one xorshift32 draw summed, an Irwin–Hall approximation: finite, within
 * ±0.07), norm weights 1 + that. The numbers mean nothing; only the shapes, dtypes and bytes on disk matter.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { writeBytesAtomic } from "../adapters/fs/atomic_write.ts";
import { DEFAULT_MAX_SHARD_BYTES, writeDirTensors } from "../adapters/formats/safetensors_index.ts";
import type { TensorOut } from "../adapters/formats/safetensors.ts";
import { f32ToBytes } from "../core/codecs/half.ts";
import { decodeHfConfig } from "../core/codecs/hf_config.ts";
import { hfOutSlots } from "../core/codecs/hf_layout.ts";
import type { Dtype } from "../core/codecs/safetensors_header.ts";
import type { AppError } from "../core/errors.ts";
import { numel } from "../core/model/tensors.ts";

export interface RandomCheckpointOptions {
  readonly dtype: "f32" | "f16" | "bf16";
  readonly seed: number;
  readonly maxShardSize?: number; // bytes; default 5 GB, as transformers
  readonly extraFiles?: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>; // e.g. a tokenizer
}

const DTYPE: Readonly<Record<RandomCheckpointOptions["dtype"], Dtype>> = { f32: "F32", f16: "F16", bf16: "BF16" };
const TORCH = { f32: "float32", f16: "float16", bf16: "bfloat16" } as const;
const CHUNK = 1 << 16; // values made per piece

/** xorshift32 from a seed mixed with the tensor's index (each tensor's values depend on nothing else). */
const xorshift = (seed: number, k: number) => {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
};

// The four bytes of one 32-bit draw, summed: mean 510, variance 4 (256² − 1) / 12.
const MEAN = 510, STD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

const randomOut = (name: string, shape: ReadonlyArray<number>, dtype: Dtype, seed: number, k: number): TensorOut => ({
  name,
  dtype,
  shape,
  pieces: async function* () {
    const next = xorshift(seed, k), n = numel(shape), base = /norm|ln_/.test(name) && shape.length === 1 ? 1 : 0;
    const buf = new Float32Array(CHUNK), scale = 0.02 / STD;
    for (let i = 0; i < n; i += CHUNK) {
      const x = buf.subarray(0, Math.min(CHUNK, n - i));
      for (let j = 0; j < x.length; j++) {
        const r = next();
        x[j] = base + scale * ((r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24) - MEAN);
      }
      yield f32ToBytes(x, dtype).slice(); // a copy: the chunk buffer is reused
    }
  },
});

/** Write a random checkpoint of `config` (a config.json's JSON) into `dir` (created); returns the files written. */
export const writeRandomHfCheckpoint = (
  dir: string,
  config: Readonly<Record<string, unknown>>,
  o: RandomCheckpointOptions,
): TE.TaskEither<AppError, ReadonlyArray<string>> =>
async () => {
  const spec = decodeHfConfig(config, `${dir}/config.json`);
  if (E.isLeft(spec)) return spec;
  const dtype = DTYPE[o.dtype];
  await mkdir(dir, { recursive: true });
  const small = [
    {
      name: "config.json",
      bytes: new TextEncoder().encode(JSON.stringify({ ...config, torch_dtype: TORCH[o.dtype] }, null, 2) + "\n"),
    },
    ...(o.extraFiles ?? []),
  ];
  for (const f of small) {
    const r = await writeBytesAtomic(join(dir, f.name), f.name, f.bytes)();
    if (E.isLeft(r)) return r;
  }
  const tensors = hfOutSlots(spec.right).map((s, k) => randomOut(s.hf, s.hfShape, dtype, o.seed, k));
  const w = await writeDirTensors(dir, tensors, { format: "pt" }, o.maxShardSize ?? DEFAULT_MAX_SHARD_BYTES)();
  return E.map((names: ReadonlyArray<string>) => [...small.map((f) => f.name), ...names])(w);
};

/**
 * Real shapes. GPT-2 124M and TinyLlama-1.1B are the config.json files of ../shared/data/configs (gpt2.config.json,
 * sha256 0daed774…, and tinyllama-1.1b-chat-v0.6.config.json, sha256 5e3bf95f…; origins in that folder's
 * README), key for key. GPT-2 355M (gpt2-medium) and OpenLLaMA-3B were
 * not found there and are written by hand: gpt2-medium is GPT-2 124M's config at the widths of Radford et al.
 * 2019, Table 2 (24 layers, d_model 1024, 16 heads); OpenLLaMA-3B is openlm-research/open_llama_3b's shape as
 * published with the model (hidden 3200, intermediate 8640, 26 layers, 32 heads, vocab 32000, context 2048,
 * RMS eps 1e-6, untied LM head).
 */
const GPT2_124M = {
  "activation_function": "gelu_new",
  "architectures": [
    "GPT2LMHeadModel",
  ],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {
    "text-generation": {
      "do_sample": true,
      "max_length": 50,
    },
  },
  "vocab_size": 50257,
};
const TINYLLAMA_1B = {
  "_name_or_path": "/mnt/petrelfs/libo1.p/alignment-handbook/data/tinyllama-2T-sft-full",
  "architectures": [
    "LlamaForCausalLM",
  ],
  "attention_bias": false,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.35.0",
  "use_cache": false,
  "vocab_size": 32000,
};
export const REAL_CONFIGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "gpt2-124m": GPT2_124M,
  "gpt2-355m": { ...GPT2_124M, n_embd: 1024, n_head: 16, n_layer: 24 },
  "tinyllama-1.1b": TINYLLAMA_1B,
  "openllama-3b": {
    architectures: ["LlamaForCausalLM"],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: "silu",
    hidden_size: 3200,
    intermediate_size: 8640,
    max_position_embeddings: 2048,
    model_type: "llama",
    num_attention_heads: 32,
    num_hidden_layers: 26,
    rms_norm_eps: 1e-06,
    tie_word_embeddings: false,
    vocab_size: 32000,
  },
};
