/**
 * `inheritune doctor` on fixed findings (the probes injected): it exits 0 when either runtime has a WebGPU
 * adapter and 1 with the fix otherwise, prints one JSON object of a fixed outline, puts each runtime in its
 * slot whichever one runs it, and tells wgpu's API from the child limited to the same adapter.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  doctorExitCode,
  type DoctorProbes,
  matchApi,
  readSelfReport,
  runDoctor,
  type RuntimeReport,
  type RuntimeSeen,
  type SystemReport,
} from "../../../adapters/devices/doctor.ts";
import type { AdapterReport } from "../../../adapters/devices/webgpu_info.ts";
import type { SystemFacts } from "../../../adapters/devices/system_probe.ts";
import { runDoctorCommand } from "../../../cli/commands/doctor.ts";
import type { Io } from "../../../cli/io.ts";

const limits = {
  maxStorageBufferBindingSize: 2 ** 27,
  maxBufferSize: 2 ** 31,
  minStorageBufferOffsetAlignment: 32,
  minUniformBufferOffsetAlignment: 32,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 16,
};
const llvmpipe = (api: AdapterReport["api"], subgroups: { min: number; max: number }): AdapterReport => ({
  vendor: "65541",
  architecture: "",
  device: "0",
  description: "llvmpipe (LLVM 15.0.6, 256 bits)",
  isCpu: true,
  isFallbackAdapter: true,
  features: ["timestamp-query"],
  adapterFeatures: ["timestamp-query"],
  subgroupSizes: subgroups,
  api,
  limits,
});
const unknown = { name: "unknown" as const, how: "wgpu does not say" };
const onVulkan = llvmpipe({ name: "Vulkan", how: "DENO_WEBGPU_BACKEND=vulkan" }, { min: 8, max: 8 });
const onGl = llvmpipe({ name: "OpenGL", how: "DENO_WEBGPU_BACKEND=gl" }, { min: 4, max: 128 });

const NODE = { name: "Node", version: "v20.19.4", webgpu: "Dawn" } as const;
const DENO = { name: "Deno", version: "2.9.6", webgpu: "wgpu" } as const;
const seen = (runtime: RuntimeReport["runtime"], adapter: AdapterReport | null): RuntimeReport => ({
  present: true,
  runtime,
  adapter,
  error: adapter === null ? "Cannot get a WebGPU adapter: requestAdapter() found none" : null,
  kernels: adapter === null ? null : "cpu",
  lanes: adapter === null ? null : false,
});
const system: SystemReport = {
  vulkanDrivers: [],
  vulkaninfo: { present: false, why: "vulkaninfo is not installed" },
  packages: { "mesa-vulkan-drivers": null, libvulkan1: null },
  peers: [{ python: "/usr/bin/python3", numpy: "1.24.2", blas: null, torch: "1.13.0a0" }],
};
const facts: SystemFacts = { platform: "linux", debian: true, packages: system.packages ?? undefined };

const probes = (self: RuntimeReport, peer: RuntimeSeen, restricted?: DoctorProbes["restricted"]): DoctorProbes => ({
  self: async () => self,
  restricted,
  peer: async () => peer,
  system: async () => system,
  facts: async () => facts,
});

const capture = () => {
  let out = "";
  const io = { out: (s: string) => void (out += s), err: () => undefined } as unknown as Io;
  return { io, out: () => out };
};

describe("doctor's verdict and report", () => {
  it("exits 0 when one runtime has an adapter (Deno on OpenGL, Node none), with an install note for each", async () => {
    const r = await runDoctor(probes(seen(NODE, null), seen(DENO, onGl)));
    expect(r.ok).toBe(true);
    expect(doctorExitCode(r)).toBe(0);
    expect(r.node).toMatchObject({ present: true, adapter: null });
    expect(r.deno).toMatchObject({ present: true, adapter: { api: { name: "OpenGL" } } });
    expect(r.notes).toHaveLength(2);
    for (const n of r.notes) expect(n).toContain("sudo apt-get install mesa-vulkan-drivers libvulkan1");
    expect(r.fix).toBeNull();
  });
  it("exits 1 with the apt command as the fix when neither runtime has one (Deno missing, Node none)", async () => {
    const { io, out } = capture();
    const missing: RuntimeSeen = { present: false, runtime: "Deno", why: "no node_modules/deno/deno" };
    const result = await runDoctorCommand({ json: true }, io, probes(seen(NODE, null), missing));
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: "NoDevice",
      hint: expect.stringContaining("sudo apt-get install mesa-vulkan-drivers libvulkan1"),
    });
    const json = JSON.parse(out());
    expect(Object.keys(json).sort()).toEqual(["deno", "fix", "node", "notes", "ok", "system"]);
    expect(json).toMatchObject({ ok: false, deno: missing, node: { runtime: NODE, adapter: null } });
    expect(Object.keys(json.system).sort()).toEqual(["packages", "peers", "vulkanDrivers", "vulkaninfo"]);
    expect(doctorExitCode(json)).toBe(1);
  });
  it("puts each runtime in its own slot whichever one runs doctor", async () => {
    const r = await runDoctor(probes(seen(DENO, onVulkan), seen(NODE, null)));
    expect(r.deno).toMatchObject({ runtime: DENO });
    expect(r.node).toMatchObject({ runtime: NODE });
  });
  it("--self --json prints this runtime alone, and fails without an adapter", async () => {
    const ok = capture(), none = capture();
    expect(
      E.isRight(
        await runDoctorCommand({ self: true, json: true }, ok.io, probes(seen(NODE, onVulkan), seen(DENO, null))),
      ),
    )
      .toBe(true);
    expect(JSON.parse(ok.out())).toEqual(JSON.parse(JSON.stringify(seen(NODE, onVulkan))));
    expect(
      E.isLeft(await runDoctorCommand({ self: true, json: true }, none.io, probes(seen(NODE, null), seen(DENO, null)))),
    )
      .toBe(true);
  });
});

describe("wgpu's API, told by the child limited to one API that gives the same adapter", () => {
  it("the adapter equal to the Vulkan child's (subgroups 8, not wgpu GL's 4-128) is on Vulkan", async () => {
    const self = { ...onVulkan, api: unknown };
    const asked: string[] = [];
    const r = await runDoctor(
      probes(seen(DENO, self), seen(NODE, null), async (api) => {
        asked.push(api);
        return seen(DENO, api === "vulkan" ? onVulkan : onGl);
      }),
    );
    expect(asked).toEqual(["vulkan", "gl"]);
    expect(r.deno).toMatchObject({ adapter: { api: { name: "Vulkan", how: expect.stringContaining("=vulkan") } } });
  });
  it("stays unknown when no child, or both, give the same adapter", () => {
    const self = { ...onVulkan, api: unknown };
    expect(matchApi(self, [["vulkan", seen(DENO, null)], ["gl", seen(DENO, onGl)]])).toEqual(unknown);
    const twin = { ...onVulkan, api: { name: "OpenGL" as const, how: "DENO_WEBGPU_BACKEND=gl" } };
    expect(matchApi(self, [["vulkan", seen(DENO, onVulkan)], ["gl", seen(DENO, twin)]])).toEqual(unknown);
  });
  it("a child's answer that is not its report reads as the runtime missing, with the reason", () => {
    expect(readSelfReport("Deno", "error: no such command", "deno exited 2")).toEqual({
      present: false,
      runtime: "Deno",
      why: "deno exited 2",
    });
    expect(readSelfReport("Deno", JSON.stringify(seen(DENO, onGl)), "")).toMatchObject({ present: true });
    expect(readSelfReport("Node", JSON.stringify(seen(DENO, onGl)), "wrong runtime").present).toBe(false);
  });
});
