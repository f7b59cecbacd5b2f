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
export { decodeHfConfig, encodeHfConfig, KNOWN_MODEL_TYPES } from "./codecs/hf_config.ts";
export * from "./hf_layout.ts";
export * from "./relayout.ts";
export * from "./token_shards.ts";
export { byteBpeTokenizer, bytesToUnicode } from "./byte_bpe.ts";
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./codecs/half.ts";
export { decodeStHeader, type Dtype, encodeStHeader, type StHeader, type TensorEntry } from "./codecs/safetensors_header.ts";
export { decodeLlama2cHeader } from "./codecs/llama2c_header.ts";
export * from "./backward.ts";
