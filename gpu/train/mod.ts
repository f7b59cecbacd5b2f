/**
 * Training on the GPU: the trainer, its buffers and kernels, and the recorded backward.
 * @module
 */
export * from "./buffers.ts";
export * from "./record_backward.ts";
export * from "./train_kernels.ts";
export * from "./trainer.ts";
export * from "./context.ts";
export * from "./evaluator.ts";
export * from "./steps.ts";
export * from "./memory_plan.ts";
