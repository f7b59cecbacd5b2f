/**
 * Getting a device from any `GPU` object (navigator.gpu in Deno and browsers, Dawn's create([])
 * in Node): the adapter's own limits (all of them: the defaults would cap a buffer at 256 MiB where
 * lavapipe allows 4 GiB, and a binding at 128 MiB where a real GPU allows more), only features the adapter has, a timeout around each request
 * so a broken driver is an error rather than a hang, the device's loss as a promise of a value,
 * and release() to destroy the device so the process can exit.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type AppError, appError } from "../../core/errors.ts";
import { type AdapterReport, reportAdapter } from "./webgpu_info.ts";

export type DeviceErrorReason = "NoWebGpu" | "NoAdapter" | "Timeout" | "RequestFailed";

export interface DeviceError extends AppError {
  readonly _tag: "NoDevice";
  readonly reason: DeviceErrorReason;
}

export interface DeviceLost {
  readonly reason: string;
  readonly message: string;
  readonly destroyed: boolean;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly info: AdapterReport;
  /** Resolves once, when the device is lost; `destroyed` when release() caused it. */
  readonly lost: Promise<DeviceLost>;
  /** Destroys the device (idempotent). Without it Dawn keeps a Node process alive. */
  readonly release: () => void;
}

export interface DeviceOptions {
  readonly timeoutMs?: number;
  readonly powerPreference?: GPUPowerPreference;
  /** Features to turn on when the adapter has them. */
  readonly wantFeatures?: readonly string[];
}

export const DEFAULT_FEATURES = ["timestamp-query", "subgroups", "shader-f16"] as const;

export const MESA_HINT =
  "install Mesa's Vulkan drivers (lavapipe runs WebGPU on the CPU): `sudo apt-get install mesa-vulkan-drivers libvulkan1`" +
  " (Debian 12: add bookworm-backports and use `-t bookworm-backports` for Mesa >= 24; see .ci/install-system.sh)";

export const deviceError = (reason: DeviceErrorReason, message: string, hint = MESA_HINT): DeviceError => ({
  ...appError("NoDevice", message, hint),
  _tag: "NoDevice",
  reason,
});

type Outcome<A> = { ok: true; value: A } | { ok: false; error: unknown } | { ok: false; timeout: true };

/** Settles with the promise's outcome or a timeout; clears its timer either way. */
const within = <A>(p: Promise<A>, ms: number): Promise<Outcome<A>> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome<A>>((res) => {
    timer = setTimeout(() => res({ ok: false, timeout: true }), ms);
  });
  const settled = p.then(
    (value): Outcome<A> => ({ ok: true, value }),
    (error: unknown): Outcome<A> => ({ ok: false, error }),
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
};

const failed = (what: string, o: Exclude<Outcome<unknown>, { ok: true }>, ms: number): DeviceError =>
  "timeout" in o
    ? deviceError(
      "Timeout",
      `Cannot get a WebGPU ${what}: no answer within ${ms} ms`,
      `the Vulkan driver hangs or is missing; ${MESA_HINT}`,
    )
    : deviceError("RequestFailed", `Cannot get a WebGPU ${what}: ${String(o.error)}`);

/** Asks the adapter for its own limits, as numbers (Dawn and wgpu expose them as prototype getters). */
const adapterLimits = (adapter: GPUAdapter): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === "number") out[k] = v;
  }
  return out;
};

const watchLoss = (device: GPUDevice): Promise<DeviceLost> =>
  device.lost.then((i) => ({ reason: String(i.reason), message: i.message, destroyed: i.reason === "destroyed" }));

export const acquireDevice =
  (gpu: GPU | undefined, options: DeviceOptions = {}): TE.TaskEither<DeviceError, AcquiredDevice> => async () => {
    const ms = options.timeoutMs ?? 20_000;
    if (gpu === undefined) {
      return E.left(
        deviceError(
          "NoWebGpu",
          "Cannot get a WebGPU adapter: this runtime has no WebGPU (navigator.gpu is undefined)",
          "run under Deno 2 (`deno run -A`) or Node with the `webgpu` package",
        ),
      );
    }
    const a = await within(
      gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined),
      ms,
    );
    if (!a.ok) return E.left(failed("adapter", a, ms));
    const adapter = a.value;
    if (adapter === null) {
      return E.left(
        deviceError("NoAdapter", "Cannot get a WebGPU adapter: requestAdapter() found none (no Vulkan driver)"),
      );
    }
    const want: readonly string[] = options.wantFeatures ?? DEFAULT_FEATURES;
    const requiredFeatures = [...adapter.features].filter((f) => want.includes(f)) as GPUFeatureName[];
    const d = await within(
      adapter.requestDevice({ label: "inheritune", requiredFeatures, requiredLimits: adapterLimits(adapter) }),
      ms,
    );
    if (!d.ok) return E.left(failed("device", d, ms));
    const device = d.value;
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        device.destroy();
      }
    };
    return E.right({ device, info: reportAdapter(adapter, device), lost: watchLoss(device), release });
  };
