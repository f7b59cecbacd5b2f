/**
 * Text: the Tokenizer interface, GPT-2's byte-level BPE and llama2.c's score BPE (fast, each with its
 * plain reference as the tests' oracle).
 * @module
 */
export * from "./byte_bpe.ts";
export * from "./byte_bpe_reference.ts";
export * from "./score_bpe.ts";
export * from "./score_bpe_reference.ts";
export * from "./tokenizer.ts";
export * from "./hf_bpe.ts";
export * from "./pair_merge.ts";
export * from "./pre_tokenize.ts";
export * from "./span_memo.ts";
export * from "./conventions.ts";
