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
