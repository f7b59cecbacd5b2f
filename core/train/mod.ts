/**
 * Training math: the Trainer interface, the CPU trainer, the lr schedule, batches and token shards.
 * @module
 */
export * from "./batches.ts";
export * from "./cpu_trainer.ts";
export * from "./schedule.ts";
export * from "./token_shards.ts";
export * from "./trainer.ts";
