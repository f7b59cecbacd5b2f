/**
 * A WebGPU device from `navigator.gpu`: Deno 2 (wgpu) and browsers. Reads navigator through
 * globalThis so the file type-checks under tsc (DOM + @webgpu/types) and `deno check` alike.
 * @module
 */
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type AcquiredDevice, acquireDevice, type DeviceError, type DeviceOptions } from "./webgpu_device.ts";

export const getNavigatorDevice = (options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> =>
  acquireDevice((globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu, options);

/** Deno's name for it. */
export const getDenoDevice = getNavigatorDevice;
