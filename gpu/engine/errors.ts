/**
 * Expected GPU failures as values: a shader rejected, a validation error at submit, a readback
 * that could not map, a tensor the device cannot hold. All are core's `AppError` with tag
 * "GpuFailure", so the CLI folds them like any other error.
 * @module
 */
import { type AppError, appError } from "../../core/errors.ts";

export type GpuErrorKind = "KernelRejected" | "UnknownVariant" | "Validation" | "Readback" | "TooLarge";

export interface GpuError extends AppError {
  readonly _tag: "GpuFailure";
  readonly kind: GpuErrorKind;
}

export const gpuError = (kind: GpuErrorKind, message: string, hint: string): GpuError => ({
  ...appError("GpuFailure", message, hint),
  _tag: "GpuFailure",
  kind,
});
