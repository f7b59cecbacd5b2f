/**
 * Text: the Tokenizer interface and GPT-2's byte-level BPE.
 * @module
 */
export * from "./byte_bpe.ts";
export * from "./tokenizer.ts";
