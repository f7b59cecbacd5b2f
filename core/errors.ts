/**
 * Expected failures as values. Every error names what failed and the state, and carries a hint
 * that tells the user what to do (llm.c's "---> HINT:" line). Only cli/ turns them into output.
 * @module
 */

export type ErrorTag =
  | "BadSpec" // a spec's numbers are inconsistent
  | "BadPlan" // an inheritance selection that cannot be built
  | "BadFile" // a model, tokenizer or data file that is missing, truncated or corrupt
  | "BadConfig" // a config.json we cannot read as a known architecture
  | "BadArgs" // command-line arguments
  | "BadInput" // a prompt or token outside the vocabulary
  | "NoDevice" // no WebGPU adapter or device
  | "GpuFailure" // a shader rejected, a device lost
  | "OutOfMemory" // a run's memory plan does not fit the device, or the device ran out
  | "IoFailure" // the file system refused a write
  | "Diverged" // training produced a NaN or infinite loss or gradient
  | "Interrupted"; // a run stopped on request (SIGINT), its state saved

export interface AppError {
  readonly _tag: ErrorTag;
  readonly message: string; // "Cannot <do X>: <state>"
  readonly hint: string; // what to do about it
}

export const appError = (tag: ErrorTag, message: string, hint: string): AppError => ({ _tag: tag, message, hint });

const TAGS: ReadonlySet<string> = new Set<ErrorTag>([
  "BadSpec",
  "BadPlan",
  "BadFile",
  "BadConfig",
  "BadArgs",
  "BadInput",
  "NoDevice",
  "GpuFailure",
  "OutOfMemory",
  "IoFailure",
  "Diverged",
  "Interrupted",
]);

/** Whether a thrown value is one of our errors (a step that failed inside a loop throws its AppError). */
export const isAppError = (e: unknown): e is AppError =>
  typeof e === "object" && e !== null && TAGS.has((e as { _tag?: unknown })._tag as string) &&
  typeof (e as { message?: unknown }).message === "string";
