/**
 * What adapter we run on: vendor, architecture, device, description, whether it is a CPU
 * (fallback) adapter such as Mesa's lavapipe (llvmpipe), the features we turned on, and the
 * limits that shape the engine, and the native API under it (graphics_api.ts; the runtime shims fill it in).
 * @module
 */
import { type ApiFinding, unknownApi } from "./graphics_api.ts";
import { mibText as mib } from "../../core/report/bytes.ts";

export const KEY_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "minStorageBufferOffsetAlignment",
  "minUniformBufferOffsetAlignment",
  "maxComputeWorkgroupsPerDimension",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupStorageSize",
  "maxStorageBuffersPerShaderStage",
] as const;

export type KeyLimit = (typeof KEY_LIMITS)[number];

export interface AdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A CPU implementation: the spec's fallback flag, or llvmpipe/lavapipe/SwiftShader by name. */
  readonly isCpu: boolean;
  /** adapter.info.isFallbackAdapter (or the older adapter.isFallbackAdapter); undefined when neither exists. */
  readonly isFallbackAdapter: boolean | undefined;
  /** The features turned on for our device (those of DEFAULT_FEATURES the adapter has). */
  readonly features: readonly string[];
  /** Every feature the adapter offers. */
  readonly adapterFeatures: readonly string[];
  /** adapter.info's subgroup size range, where the runtime gives one. */
  readonly subgroupSizes: { readonly min: number; readonly max: number } | undefined;
  readonly api: ApiFinding;
  readonly limits: Readonly<Record<KeyLimit, number>>;
}

const CPU_NAMES = /llvmpipe|lavapipe|swiftshader|software|warp/i;

interface InfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

/** Reads the adapter's info and the device's granted features and limits. */
export const reportAdapter = (adapter: GPUAdapter, device: GPUDevice): AdapterReport => {
  const info = ((adapter as { info?: InfoLike }).info ?? {}) as InfoLike;
  const fallback = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const [vendor, architecture, dev, description] = [info.vendor, info.architecture, info.device, info.description].map((
    s,
  ) => s ?? "");
  const limits = Object.fromEntries(KEY_LIMITS.map((k) => [k, device.limits[k]])) as Record<KeyLimit, number>;
  return {
    vendor: vendor!,
    architecture: architecture!,
    device: dev!,
    description: description!,
    isCpu: fallback === true || CPU_NAMES.test(`${dev} ${description} ${architecture}`),
    isFallbackAdapter: fallback,
    features: [...device.features].map(String).sort(),
    adapterFeatures: [...adapter.features].map(String).sort(),
    subgroupSizes: typeof info.subgroupMinSize === "number" && typeof info.subgroupMaxSize === "number"
      ? { min: info.subgroupMinSize, max: info.subgroupMaxSize }
      : undefined,
    api: unknownApi("the runtime's adapter info does not say"),
    limits,
  };
};

/** One line for logs: `mesa llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) [CPU] binding 128 MiB, buffer 4096 MiB, ...`. */
export const describeAdapter = (r: AdapterReport): string =>
  `${[r.vendor, r.description || r.device].filter((s) => s !== "").join(" ")}${r.isCpu ? " [CPU]" : ""}` +
  ` binding ${mib(r.limits.maxStorageBufferBindingSize)}, buffer ${mib(r.limits.maxBufferSize)},` +
  ` ${r.limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup; features: ${r.features.join(" ") || "none"}`;
