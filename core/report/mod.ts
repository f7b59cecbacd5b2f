/**
 * Presentation: the compare report, SVG line charts and a model's family and features (inspect).
 * @module
 */
export * from "./bytes.ts";
export * from "./compare_report.ts";
export * from "./svg_chart.ts";
export * from "./model_features.ts";
