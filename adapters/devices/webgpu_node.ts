/**
 * A WebGPU device in Node, from Dawn (npm `webgpu`). Dawn prints two "Warning:
 * maxDynamic...BuffersPerPipelineLayout artificially reduced" lines each time it lists its adapters
 * (on requestAdapter, and again when its list tells the adapter's API); harmless.
 * While a GPU promise is pending Dawn polls from a chain of immediates: after its first links they are spaced a
 * millisecond apart (adapters/devices/dawn_ticks.ts), and the device is paced (gpu/engine/pacing.ts). On an AVX-512
 * host lavapipe is given 512-bit vectors unless the user set a width (adapters/devices/vector_width.ts).
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { create, globals } from "webgpu";
import { enablePacing } from "../../gpu/engine/pacing.ts";
import { spacedImmediates } from "./dawn_ticks.ts";
import { type ApiFinding, apiFromDawnList, unknownApi } from "./graphics_api.ts";
import { applyVectorWidth } from "./vector_width.ts";
import { type AcquiredDevice, acquireDevice, type DeviceError, type DeviceOptions } from "./webgpu_device.ts";

/** Installs Dawn's WebGPU classes (GPUBufferUsage, ...) as globals, where a runtime has none. */
const installGlobals = (): void => {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
};

/** A name no adapter has: dawn-node then throws "no suitable backends found" with its adapter list. */
const NO_SUCH_ADAPTER = "adapter=<inheritune: list the adapters>";

/** The adapter's API, from the list dawn-node throws for an adapter name that matches none (graphics_api.ts). */
export const dawnApi = async (device: string): Promise<ApiFinding> => {
  try {
    await create([NO_SUCH_ADAPTER]).requestAdapter();
    return unknownApi("Dawn gave no adapter list");
  } catch (e) {
    return apiFromDawnList(e instanceof Error ? e.message : String(e), device);
  }
};

export const getNodeDevice = (options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> => {
  installGlobals();
  spacedImmediates();
  applyVectorWidth(); // before create(): lavapipe reads its vector width at each Vulkan instance
  // Dawn polls while a GPU promise is pending (spaced by spacedImmediates): batches sleep through most of their GPU
  // time first.
  return TE.chain((d: AcquiredDevice) =>
    TE.fromTask<AcquiredDevice, DeviceError>(async () => {
      enablePacing(d.device);
      return { ...d, info: { ...d.info, api: await dawnApi(d.info.device) } };
    })
  )(acquireDevice(create([]), options));
};
