/**
 * Getting a device: what a real lavapipe adapter reports, and what a missing or hung one returns.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, test } from "vitest";
import { acquireDevice, MESA_HINT } from "../../adapters/devices/webgpu_device.ts";
import { describeAdapter } from "../../adapters/devices/webgpu_info.ts";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { getNavigatorDevice } from "../../adapters/devices/webgpu_deno.ts";
import { createKernelCache, probeLanes, probeLaneWidth, profileFor } from "../../gpu/mod.ts";
import { unwrap, useGpu } from "./_device.ts";

const gpu = useGpu();
const fakeGpu = (requestAdapter: () => Promise<GPUAdapter | null>): GPU => ({ requestAdapter }) as unknown as GPU;

describe("the Node device on lavapipe", () => {
  test("is reported as a CPU adapter, with the adapter's own limits rather than the defaults", () => {
    const { info, device } = gpu();
    expect(info.isCpu).toBe(true);
    expect(`${info.device} ${info.description}`).toMatch(/llvmpipe/);
    expect(info.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    expect(device.limits.maxBufferSize).toBeGreaterThan(256 * 2 ** 20); // default is 256 MiB
    expect(describeAdapter(info)).toMatch(/\[CPU\] binding 128 MiB/);
  });

  test("turns on timestamp-query, subgroups and shader-f16, which lavapipe has", () => {
    expect(gpu().info.features).toEqual(expect.arrayContaining(["shader-f16", "subgroups", "timestamp-query"]));
  });

  test("holds a workgroup of 8 in one subgroup, so the probe gives it the lanes kernels", async () => {
    const { info, kernels } = gpu();
    expect(await probeLanes(kernels)).toBe(true);
    expect(profileFor(info, 8)).toBe("lanes");
  });

  test("holds a workgroup of 16 exactly at 512-bit vectors (LP_NATIVE_VECTOR_WIDTH=512), where the probe gives the lanes16 kernels", async () => {
    const { info, kernels } = gpu(), wide = process.env.LP_NATIVE_VECTOR_WIDTH === "512";
    expect(await probeLaneWidth(kernels)).toBe(wide ? 16 : 8);
    expect(profileFor(info, wide ? 16 : 8)).toBe(wide ? "lanes16" : "lanes");
  });

  test("without the subgroups feature, the probe says no and the plain cpu kernels are used", async () => {
    const d = unwrap(await getNodeDevice({ wantFeatures: [] })());
    try {
      expect(await probeLanes(createKernelCache(d.device))).toBe(false);
      expect(await probeLaneWidth(createKernelCache(d.device))).toBe(0);
      expect(profileFor(d.info, 0)).toBe("cpu");
    } finally {
      d.release();
    }
  });

  test("reports its loss as 'destroyed' once released", async () => {
    const d = unwrap(await getNodeDevice()());
    d.release();
    d.release(); // idempotent
    expect(await d.lost).toMatchObject({ destroyed: true, reason: "destroyed" });
  });
});

test("a device is asked for every adapter limit and only the wanted features the adapter has", async () => {
  let asked: GPUDeviceDescriptor | undefined;
  const adapter = {
    features: new Set(["shader-f16", "texture-compression-bc"]),
    limits: { maxBufferSize: 4096, maxStorageBufferBindingSize: 1024 },
    requestDevice: (d: GPUDeviceDescriptor) => {
      asked = d;
      return Promise.reject(new Error("stop here"));
    },
  };
  await acquireDevice(fakeGpu(() => Promise.resolve(adapter as unknown as GPUAdapter)))();
  expect(asked?.requiredFeatures).toEqual(["shader-f16"]);
  expect(asked?.requiredLimits).toEqual({ maxBufferSize: 4096, maxStorageBufferBindingSize: 1024 });
});

describe("without a usable adapter", () => {
  test("a runtime without navigator.gpu is a NoWebGpu Left", async () => {
    const r = await getNavigatorDevice()(); // Node has no navigator.gpu
    expect(E.isLeft(r) && r.left.reason).toBe("NoWebGpu");
  });

  test("requestAdapter() returning null is a NoDevice Left that names the Mesa fix", async () => {
    const r = await acquireDevice(fakeGpu(() => Promise.resolve(null)))();
    expect(r).toEqual(E.left(expect.objectContaining({ _tag: "NoDevice", reason: "NoAdapter", hint: MESA_HINT })));
    if (E.isLeft(r)) expect(r.left.message).toMatch(/^Cannot get a WebGPU adapter: /);
    expect(MESA_HINT).toMatch(/mesa-vulkan-drivers libvulkan1.*bookworm-backports/);
  });

  test("a requestAdapter() that never answers is a Timeout Left, not a hang", async () => {
    const t0 = Date.now();
    const r = await acquireDevice(fakeGpu(() => new Promise(() => {})), { timeoutMs: 50 })();
    expect(E.isLeft(r) && r.left.reason).toBe("Timeout");
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test("a requestDevice() that rejects is a RequestFailed Left carrying the reason", async () => {
    const adapter = {
      features: new Set<string>(),
      limits: {},
      info: {},
      requestDevice: () => Promise.reject(new Error("driver says no")),
    };
    const r = await acquireDevice(fakeGpu(() => Promise.resolve(adapter as unknown as GPUAdapter)))();
    expect(E.isLeft(r) && [r.left.reason, r.left.message]).toEqual([
      "RequestFailed",
      "Cannot get a WebGPU device: Error: driver says no",
    ]);
  });
});
