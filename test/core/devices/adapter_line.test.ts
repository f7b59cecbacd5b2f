/**
 * The line each computing command starts with, and its install note (adapters/devices/adapter_line.ts), from
 * fixed adapter reports: Vulkan lavapipe under Dawn, wgpu's OpenGL fallback, a discrete GPU, no adapter; and
 * how each runtime's API is told (adapters/devices/graphics_api.ts) from what it exposes.
 * @module
 */
import { describe, expect, it } from "vitest";
import { adapterLine, installNote, noAdapterLine, type RuntimeInfo } from "../../../adapters/devices/adapter_line.ts";
import {
  apiFromDawnList,
  apiFromWgpuBackends,
  dawnDeviceId,
  wgpuApiOnSystem,
} from "../../../adapters/devices/graphics_api.ts";
import { parseVulkanSummary, type SystemFacts } from "../../../adapters/devices/system_probe.ts";
import type { AdapterReport } from "../../../adapters/devices/webgpu_info.ts";

const NODE: RuntimeInfo = { name: "Node", version: "v20.19.4", webgpu: "Dawn" };
const DENO: RuntimeInfo = { name: "Deno", version: "2.9.6", webgpu: "wgpu" };

const limits = {
  maxStorageBufferBindingSize: 2 ** 27,
  maxBufferSize: 2 ** 32,
  minStorageBufferOffsetAlignment: 32,
  minUniformBufferOffsetAlignment: 32,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 16,
};

/** What Dawn reported for lavapipe on the CI-like machine (Mesa 25.0.7). */
const lavapipe: AdapterReport = {
  vendor: "mesa",
  architecture: "software",
  device: "llvmpipe-llvm-15-0-6-256-bits-",
  description: "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1",
  isCpu: true,
  isFallbackAdapter: true,
  features: ["shader-f16", "subgroups", "timestamp-query"],
  adapterFeatures: ["shader-f16", "subgroups", "timestamp-query"],
  subgroupSizes: { min: 8, max: 8 },
  api: { name: "Vulkan", how: "Dawn's adapter list" },
  limits,
};

/** What wgpu reported for llvmpipe through EGL with no Vulkan driver installed. */
const glFallback: AdapterReport = {
  ...lavapipe,
  vendor: "65541",
  architecture: "",
  device: "0",
  description: "llvmpipe (LLVM 15.0.6, 256 bits)",
  features: ["timestamp-query"],
  adapterFeatures: ["timestamp-query"],
  subgroupSizes: { min: 4, max: 128 },
  api: { name: "OpenGL", how: "no Vulkan driver on this system" },
  limits: { ...limits, maxBufferSize: 2 ** 31 - 1 },
};

const discrete: AdapterReport = {
  ...lavapipe,
  vendor: "nvidia",
  architecture: "ada",
  device: "",
  description: "NVIDIA GeForce RTX 4090",
  isCpu: false,
  isFallbackAdapter: false,
  subgroupSizes: { min: 32, max: 32 },
  limits: { ...limits, maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 34 },
};

const debianWithout: SystemFacts = {
  platform: "linux",
  debian: true,
  packages: { "mesa-vulkan-drivers": null, libvulkan1: "1.3.239.0-1" },
};
const debianWith: SystemFacts = {
  platform: "linux",
  debian: true,
  packages: { "mesa-vulkan-drivers": "25.0.7-2~bpo12+1", libvulkan1: "1.3.239.0-1" },
};
const debianOldMesa: SystemFacts = {
  ...debianWith,
  packages: { ...debianWith.packages, "mesa-vulkan-drivers": "22.3.6-1" },
};

describe("the adapter line names the runtime, adapter, API, software or not, the kernels and the limits", () => {
  it("Vulkan lavapipe under Dawn is a software adapter on Vulkan, with no note", () => {
    expect(adapterLine("Node v20.19.4 + Dawn", lavapipe, "lanes")).toBe(
      "device: Node v20.19.4 + Dawn · mesa llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 · Vulkan" +
        " · software adapter, 256-bit vectors · kernels lanes · binding 128 MiB, buffer 4096 MiB",
    );
    for (const facts of [debianWithout, debianWith]) expect(installNote(NODE, lavapipe, facts)).toBeUndefined();
  });
  it("wgpu's OpenGL fallback is named OpenGL (vendor id in hex); the note gives apt when Mesa's Vulkan is missing", () => {
    expect(adapterLine("Deno 2.9.6 + wgpu", glFallback, "cpu")).toBe(
      "device: Deno 2.9.6 + wgpu · vendor 0x10005 llvmpipe (LLVM 15.0.6, 256 bits) · OpenGL · software adapter" +
        " · kernels cpu · binding 128 MiB, buffer 2048 MiB",
    );
    const note = installNote(DENO, glFallback, debianWithout)!;
    expect(note).toMatch(
      /^note: wgpu runs WebGPU on OpenGL, .* slower than Vulkan; mesa-vulkan-drivers not installed: /,
    );
    expect(note).toContain("`sudo apt-get install mesa-vulkan-drivers libvulkan1`");
    expect(note).toContain("-t bookworm-backports");
  });
  it("a discrete GPU is a hardware adapter with its own limits, and nothing to install", () => {
    expect(adapterLine("Node v20.19.4 + Dawn", discrete, "gpu")).toBe(
      "device: Node v20.19.4 + Dawn · nvidia NVIDIA GeForce RTX 4090 · Vulkan · hardware adapter · kernels gpu" +
        " · binding 2048 MiB, buffer 16384 MiB",
    );
    expect(installNote(NODE, discrete, debianWithout)).toBeUndefined();
  });
  it("an adapter whose API cannot be told says so rather than guessing", () => {
    const unknown = { ...glFallback, api: { name: "unknown" as const, how: "wgpu does not say" } };
    expect(adapterLine("Deno 2.9.6 + wgpu", unknown, "cpu")).toContain(
      " · API unknown (`inheritune doctor` finds it) · ",
    );
    expect(installNote(DENO, unknown, debianWithout)).toBeUndefined();
  });
  it("no adapter is one note about the CPU reference, and one with the command that would give one", () => {
    expect(noAdapterLine("Node v20.19.4 + Dawn", "requestAdapter() found none")).toBe(
      "note: Node v20.19.4 + Dawn has no WebGPU adapter (requestAdapter() found none); computing on the CPU reference",
    );
    expect(installNote(NODE, "none", debianWithout)).toMatch(
      /^note: Node found no WebGPU adapter; mesa-vulkan-drivers not installed: `sudo apt-get install/,
    );
    expect(installNote(NODE, "none", debianOldMesa)).toMatch(
      /Mesa 22\.3\.6-1 is older than the 24 Dawn needs: `sudo apt-get install -t bookworm-backports /,
    );
    expect(installNote(NODE, "none", debianWith)).toMatch(
      /though mesa-vulkan-drivers 25\.0\.7.* is installed; `vulkaninfo/,
    );
    expect(installNote(NODE, "none", { platform: "linux", debian: false, packages: undefined })).toMatch(
      /install your distribution's Mesa Vulkan driver/,
    );
    expect(installNote(NODE, "none", { platform: "darwin", debian: false, packages: undefined })).toBeUndefined();
  });
});

describe("each runtime's API is derived from what it exposes, unknown when it cannot be told", () => {
  const list =
    "no suitable backends found\nAvailable adapters:\n * backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'";
  it("Dawn's adapter list gives the API of the adapter of that normalised name", () => {
    expect(dawnDeviceId("llvmpipe (LLVM 15.0.6, 256 bits)")).toBe("llvmpipe-llvm-15-0-6-256-bits-");
    expect(apiFromDawnList(list, "llvmpipe-llvm-15-0-6-256-bits-").name).toBe("Vulkan");
    expect(apiFromDawnList(list, "nvidia-geforce-rtx-4090").name).toBe("unknown");
    const both = `${list}\n * backend: 'opengles', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'`;
    expect(apiFromDawnList(both, "llvmpipe-llvm-15-0-6-256-bits-")).toMatchObject({
      name: "unknown",
      how: expect.stringMatching(/under vulkan and opengles/),
    });
  });
  it("wgpu's API is known from DENO_WEBGPU_BACKEND naming one, or from a Linux without Vulkan drivers", () => {
    expect(apiFromWgpuBackends("gl")?.name).toBe("OpenGL");
    expect(apiFromWgpuBackends("vulkan")?.name).toBe("Vulkan");
    expect(apiFromWgpuBackends("vulkan,gl")).toBeUndefined();
    expect(apiFromWgpuBackends(undefined)).toBeUndefined();
    expect(wgpuApiOnSystem("linux", []).name).toBe("OpenGL");
    expect(wgpuApiOnSystem("linux", ["/usr/share/vulkan/icd.d/lvp_icd.json"]).name).toBe("unknown");
    expect(wgpuApiOnSystem("darwin", []).name).toBe("unknown");
  });
  it("vulkaninfo --summary is read into its instance version and devices", () => {
    const text = [
      "Vulkan Instance Version: 1.3.239",
      "Devices:",
      "========",
      "GPU0:",
      "\tapiVersion         = 1.4.305",
      "\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU",
      "\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)",
      "\tdriverName         = llvmpipe",
      "\tdriverInfo         = Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)",
    ].join("\n");
    expect(parseVulkanSummary(text)).toEqual({
      present: true,
      instanceVersion: "1.3.239",
      devices: [{
        deviceName: "llvmpipe (LLVM 15.0.6, 256 bits)",
        deviceType: "CPU",
        driverName: "llvmpipe",
        driverInfo: "Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)",
        apiVersion: "1.4.305",
      }],
    });
  });
});
