/**
 * Corpora and token stores: documents from .txt/.jsonl, token shards with their manifest, the token
 * streams of a run.
 * @module
 */
export * from "./corpus.ts";
export * from "./token_store.ts";
export * from "./training_data.ts";
export * from "./doc_encoder.ts";
export * from "./shard_writer.ts";
