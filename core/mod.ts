/**
 * The pure core's front door: specs, plans, codecs, the CPU reference and sampling.
 * @module
 */
export * from "./spec.ts";
export * from "./tensors.ts";
export * from "./plan.ts";
export * from "./errors.ts";
export * from "./forward.ts";
export * from "./decode.ts";
export * from "./generate.ts";
export * from "./sample.ts";
export * from "./rng.ts";
export * from "./tokenizer.ts";
export { decodeHfConfig, KNOWN_MODEL_TYPES } from "./codecs/hf_config.ts";
export { decodeLlama2cHeader } from "./codecs/llama2c_header.ts";
