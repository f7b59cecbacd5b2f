/**
 * A WebGPU device from `navigator.gpu`: Deno 2 (wgpu) and browsers. Reads navigator through
 * globalThis so the file type-checks under tsc (DOM + @webgpu/types) and `deno check` alike.
 * wgpu's adapter info is the same under Vulkan and OpenGL, so the API comes from DENO_WEBGPU_BACKEND
 * or from the Vulkan drivers on the system (graphics_api.ts).
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { platform } from "node:os";
import process from "node:process";
import { type ApiFinding, apiFromWgpuBackends, wgpuApiOnSystem } from "./graphics_api.ts";
import { vulkanDriverManifests } from "./system_probe.ts";
import { type AcquiredDevice, acquireDevice, type DeviceError, type DeviceOptions } from "./webgpu_device.ts";

export const getNavigatorDevice = (options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> =>
  acquireDevice((globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu, options);

/** The API wgpu runs on, as far as it can be told without asking wgpu again (doctor does that). */
export const wgpuApi = (): ApiFinding =>
  apiFromWgpuBackends(process.env.DENO_WEBGPU_BACKEND) ?? wgpuApiOnSystem(platform(), vulkanDriverManifests());

/** Deno's device, its report carrying the API. */
export const getDenoDevice = (options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> =>
  TE.map((d: AcquiredDevice) => ({ ...d, info: { ...d.info, api: wgpuApi() } }))(getNavigatorDevice(options));
