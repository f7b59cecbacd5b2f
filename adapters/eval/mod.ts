/**
 * Downstream tasks at the edges: task files (JSON lines, HellaSwag's text) as documents, the bundled
 * tasks by name, scorers of a backend, and a model evaluated on a list of tasks with its samples logs.
 * @module
 */
export * from "./bundled.ts";
export * from "./evaluate.ts";
export * from "./scorer.ts";
export * from "./task_files.ts";
