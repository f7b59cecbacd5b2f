/**
 * A model on the GPU: its weights and kept transposes, activations, the recorded forward, KV-cache
 * decoding, and the forward the block measures read (attention probabilities, stream, early exits).
 * @module
 */
export * from "./activations.ts";
export * from "./attention_probs.ts";
export * from "./decode.ts";
export * from "./decoder.ts";
export * from "./forward_kernels.ts";
export * from "./linear_peak.ts";
export * from "./model.ts";
export * from "./record_forward.ts";
export * from "./transposed.ts";
export * from "./weights.ts";
