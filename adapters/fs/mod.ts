/**
 * Files: reading as values and atomic writes.
 * @module
 */
export * from "./atomic_write.ts";
export * from "./files.ts";
