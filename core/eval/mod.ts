/**
 * Zero-shot downstream evaluation as lm-evaluation-harness 0.4 does it: documents as loglikelihood
 * requests, the harness's `_encode_pair`, packing requests into forward passes (a shared context once),
 * the CPU scorer and the twin of the GPU's scoring kernel, metrics and their stderr, and the results as
 * tables and a bar chart. Pure.
 * @module
 */
export * from "./bar_chart.ts";
export * from "./encode_pair.ts";
export * from "./metrics.ts";
export * from "./pack.ts";
export * from "./packed_layout.ts";
export * from "./report.ts";
export * from "./requests.ts";
export * from "./score_task.ts";
export * from "./scorer.ts";
export * from "./target_scores.ts";
