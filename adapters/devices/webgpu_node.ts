/**
 * A WebGPU device in Node, from Dawn (npm `webgpu`). Dawn prints two "Warning:
 * maxDynamic...BuffersPerPipelineLayout artificially reduced" lines on requestDevice; harmless.
 * While a GPU promise is pending Dawn busy-polls a core, so callers should await rarely, and the
 * device is paced (gpu/engine/pacing.ts).
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { create, globals } from "webgpu";
import { enablePacing } from "../../gpu/engine/pacing.ts";
import { type AcquiredDevice, acquireDevice, type DeviceError, type DeviceOptions } from "./webgpu_device.ts";

/** Installs Dawn's WebGPU classes (GPUBufferUsage, ...) as globals, where a runtime has none. */
const installGlobals = (): void => {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
};

export const getNodeDevice = (options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> => {
  installGlobals();
  // Dawn busy-polls while a GPU promise is pending: batches sleep through most of their GPU time instead.
  return TE.map((d: AcquiredDevice) => (enablePacing(d.device), d))(acquireDevice(create([]), options));
};
