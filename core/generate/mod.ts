/**
 * Generation: next-token sampling, llama2.c-style generation and KV-cache decoding on the CPU
 * reference.
 * @module
 */
export * from "./decode.ts";
export * from "./generate.ts";
export * from "./sample.ts";
