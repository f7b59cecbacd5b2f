/**
 * Tokenizers in their file formats: HF tokenizer.json, GPT-2 encoder.json + vocab.bpe, llama2.c
 * tokenizer.bin, and finding one.
 * @module
 */
export * from "./gpt2.ts";
export * from "./hf.ts";
export * from "./llama2c.ts";
export * from "./load.ts";
export * from "./hf_memo.ts";
export * from "./hf_spec.ts";
export * from "./hf_conventions.ts";
