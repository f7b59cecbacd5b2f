/**
 * Presentation: the compare report and SVG line charts.
 * @module
 */
export * from "./bytes.ts";
export * from "./compare_report.ts";
export * from "./svg_chart.ts";
