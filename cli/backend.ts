/**
 * Choosing where a command computes: `--backend webgpu` needs an adapter; `cpu` is the plain
 * reference; left out, WebGPU is used when an adapter exists and the CPU otherwise (with a note).
 * The device is released when the command ends, so the process can exit.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import type { AcquiredDevice } from "../adapters/webgpu_device.ts";
import type { AppError } from "../core/errors.ts";
import { createKernelCache, type KernelCache, type KernelProfile, probeLanes, profileFor } from "../gpu/mod.ts";
import type { Io } from "./io.ts";

export const BackendArg = t.keyof({ webgpu: null, cpu: null }, "webgpu | cpu");
export type BackendArg = t.TypeOf<typeof BackendArg>;

export type Backend =
  | { readonly _tag: "cpu" }
  | { readonly _tag: "webgpu"; readonly acquired: AcquiredDevice; readonly kernels: KernelCache; readonly profile: KernelProfile };

export const backendFlag = { type: "string", help: "webgpu | cpu (default: webgpu when an adapter exists)" } as const;

/** Runs `body` on the chosen backend and releases the device afterwards, whatever happens. */
export const withBackend = async <A>(io: Io, wanted: BackendArg | undefined, body: (b: Backend) => Promise<E.Either<AppError, A>>): Promise<E.Either<AppError, A>> => {
  if (wanted === "cpu") return body({ _tag: "cpu" });
  const dev = await io.getDevice()();
  if (E.isLeft(dev)) {
    if (wanted === "webgpu") return dev;
    io.err(`note: no WebGPU adapter (${dev.left.message}); computing on the CPU reference\n`);
    return body({ _tag: "cpu" });
  }
  try {
    // The kernel family is chosen once, from the adapter: register-blocked on CPU adapters (sharing
    // rows through subgroups where the probe allows), tiled on GPUs.
    const kernels = createKernelCache(dev.right.device), info = dev.right.info;
    const profile = profileFor(info, info.isCpu && await probeLanes(kernels));
    return await body({ _tag: "webgpu", acquired: dev.right, kernels, profile });
  } finally {
    dev.right.release();
  }
};
