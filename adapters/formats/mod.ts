/**
 * Model files: Hugging Face directories (safetensors, single or sharded) and llama2.c checkpoints,
 * and finding a model from a path.
 * @module
 */
export * from "./hf_checkpoint.ts";
export * from "./hf_inherit.ts";
export * from "./llama2c.ts";
export * from "./llama2c_ak42.ts";
export * from "./models.ts";
export * from "./safetensors.ts";
export * from "./safetensors_index.ts";
