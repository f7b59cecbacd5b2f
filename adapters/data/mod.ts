/**
 * Corpora and token stores: documents from .txt/.jsonl/.parquet (plain, gzip or zstd), token shards
 * with their manifest, the token streams of a run, subsets chosen by a reference model.
 * @module
 */
export * from "./corpus.ts";
export * from "./corpus_files.ts";
export * from "./byte_streams.ts";
export * from "./parquet_docs.ts";
export * from "./token_store.ts";
export * from "./training_data.ts";
export * from "./doc_encoder.ts";
export * from "./shard_writer.ts";
export * from "./doc_index.ts";
export * from "./score_docs.ts";
export * from "./choose_subset.ts";
