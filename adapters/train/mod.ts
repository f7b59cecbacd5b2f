/**
 * The training loop (nanoGPT's train.py: loop.ts), its settings and defaults, setup checks, numeric
 * faults, checkpoints, and the compare report's files.
 * @module
 */
export * from "./checkpoint.ts";
export * from "./compare_files.ts";
export * from "./faults.ts";
export * from "./loop.ts";
export * from "./run_dir.ts";
export * from "./settings.ts";
export * from "./setup.ts";
