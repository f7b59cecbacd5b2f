/**
 * Choosing a training subset by document: exact-text hashes for dedup, the reference's per-document
 * loss, and the strategies (random, ppl-low, ppl-mid, ppl-high) that fill a token budget.
 * @module
 */
export * from "./doc_hash.ts";
export * from "./doc_requests.ts";
export * from "./select_docs.ts";
export * from "./select_spec.ts";
