/**
 * Model surgery: the inheritance plan (the paper's Algorithm 1), block-selection strategies, width
 * and head narrowing, the growth procedure, per-block diagnostics and the attention spectrum they count.
 * @module
 */
export * from "./diagnostics.ts";
export * from "./grow.ts";
export * from "./heads.ts";
export * from "./plan.ts";
export * from "./spectrum.ts";
export * from "./strategies.ts";
export * from "./width.ts";
