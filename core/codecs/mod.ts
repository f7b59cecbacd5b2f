/**
 * Codecs at the edges: HF config.json, safetensors and llama2.c headers, half floats, HF tensor
 * names, io-ts error reports.
 * @module
 */
export * from "./half.ts";
export * from "./hf_config.ts";
export * from "./hf_config_neox_phi.ts";
export * from "./hf_layout.ts";
export * from "./hf_layout_neox_phi.ts";
export * from "./hf_rotary.ts";
export * from "./llama2c_header.ts";
export * from "./numbers.ts";
export * from "./report.ts";
export * from "./safetensors_header.ts";
