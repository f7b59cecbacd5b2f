/**
 * The pure core's front door: specs, plans, codecs, the CPU reference and sampling.
 * @module
 */
export * from "./model/spec.ts";
export * from "./model/tensors.ts";
export * from "./surgery/plan.ts";
export * from "./errors.ts";
export * from "./model/forward.ts";
export * from "./generate/decode.ts";
export * from "./generate/generate.ts";
export * from "./generate/sample.ts";
export * from "./rng.ts";
export * from "./text/tokenizer.ts";
export { decodeHfConfig, encodeHfConfig, KNOWN_MODEL_TYPES } from "./codecs/hf_config.ts";
export * from "./codecs/hf_layout.ts";
export * from "./model/relayout.ts";
export * from "./train/token_shards.ts";
export { byteBpeTokenizer, bytesToUnicode } from "./text/byte_bpe.ts";
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./codecs/half.ts";
export {
  decodeStHeader,
  type Dtype,
  encodeStHeader,
  type StHeader,
  type TensorEntry,
} from "./codecs/safetensors_header.ts";
export { decodeLlama2cHeader } from "./codecs/llama2c_header.ts";
export * from "./model/backward.ts";
