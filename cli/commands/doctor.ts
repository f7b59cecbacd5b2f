/**
 * `inheritune doctor [--json] [--self]`: what runs where. What Node (Dawn) and Deno (wgpu) each see,
 * the other runtime asked as a child (`doctor --self --json`); the Vulkan drivers, vulkaninfo and the
 * Debian packages; the bench's peers. Exits 0 when a WebGPU adapter exists, else 1 with the fix.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { adapterName, runtimeLabel } from "../../adapters/devices/adapter_line.ts";
import {
  askRuntime,
  type DoctorProbes,
  type DoctorReport,
  probeRuntime,
  runDoctor,
  type RuntimeSeen,
  selfReport,
  type SystemReport,
} from "../../adapters/devices/doctor.ts";
import { debianPackages, pythonPeers, vulkanDriverManifests, vulkanInfo } from "../../adapters/devices/system_probe.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { CommandSpec } from "../args.ts";
import type { Io } from "../io.ts";
import { mibText as mib } from "../../core/report/bytes.ts";

const DoctorArgs = t.partial({ json: t.boolean, self: t.boolean });

export const doctorCommand: CommandSpec<t.TypeOf<typeof DoctorArgs>> = {
  name: "doctor",
  usage: "doctor [--json] [--self]",
  summary: "Show what Node and Deno each see (adapters, API, features, limits, kernels), Vulkan and the peers.",
  positionals: [],
  flags: {
    json: { type: "boolean", help: "print one JSON object instead of the text" },
    self: { type: "boolean", help: "only this runtime, asked in this process (what the other runtime's doctor runs)" },
  },
  codec: DoctorArgs,
};

const systemReport = async (): Promise<SystemReport> => ({
  vulkanDrivers: vulkanDriverManifests(),
  vulkaninfo: await vulkanInfo(),
  packages: (await debianPackages()) ?? null,
  peers: await pythonPeers(),
});

/** The real probes: this process's device, children for the other runtime and for wgpu's API. */
export const realProbes = (io: Io): DoctorProbes => ({
  self: () => probeRuntime(io.runtime, io.getDevice),
  restricted: io.runtime.webgpu === "wgpu" ? (api) => askRuntime(io.self(), { DENO_WEBGPU_BACKEND: api }) : undefined,
  peer: () => askRuntime(io.peer()),
  system: systemReport,
  facts: io.facts,
});

const yes = (b: boolean): string => (b ? "yes" : "no");

const runtimeText = (r: RuntimeSeen): string[] => {
  if (!r.present) return [`${r.runtime}: not asked: ${r.why}`];
  const head = runtimeLabel(r.runtime);
  if (r.adapter === null) return [`${head}: no WebGPU adapter (${r.error})`];
  const a = r.adapter, l = a.limits, has = (f: string) => yes(a.adapterFeatures.includes(f));
  const sub = a.subgroupSizes === undefined ? "" : ` (sizes ${a.subgroupSizes.min}-${a.subgroupSizes.max})`;
  return [
    `${head}`,
    `  adapter   ${adapterName(a)}, ${a.isCpu ? "software" : "hardware"} adapter`,
    `  API       ${a.api.name} (${a.api.how})`,
    `  features  subgroups ${has("subgroups")}${sub}, shader-f16 ${has("shader-f16")}, timestamp-query ${
      has("timestamp-query")
    }`,
    `  limits    binding ${mib(l.maxStorageBufferBindingSize)}, buffer ${mib(l.maxBufferSize)}, ` +
    `${l.maxComputeInvocationsPerWorkgroup} invocations/workgroup, ` +
    `${l.maxComputeWorkgroupStorageSize} B workgroup memory, ` +
    `${l.maxStorageBuffersPerShaderStage} storage buffers/stage`,
    `  kernels   ${r.kernels} (lanes probe: ${r.lanes === null ? "not run" : yes(r.lanes)})`,
  ];
};

const systemText = (s: SystemReport): string[] => {
  const vk = s.vulkaninfo;
  const devices = vk.present
    ? vk.devices.map((d) =>
      `  ${d.deviceName} (${d.deviceType}), ${d.driverName} ${d.driverInfo}, Vulkan ${d.apiVersion}`
    )
    : [];
  const pkgs = s.packages === null
    ? "no dpkg (not Debian)"
    : Object.entries(s.packages).map(([n, v]) => `${n} ${v ?? "not installed"}`).join(", ");
  const peers = s.peers.length === 0
    ? ["  no python3"]
    : s.peers.map((p) =>
      `  ${p.python}: numpy ${p.numpy ?? "absent"}${p.blas ? ` (${p.blas})` : ""}, torch ${p.torch ?? "absent"}`
    );
  return [
    `Vulkan: ${
      vk.present ? `instance ${vk.instanceVersion}, ${vk.devices.length} device(s)` : `vulkaninfo absent (${vk.why})`
    }`,
    ...devices,
    `  drivers: ${s.vulkanDrivers.length === 0 ? "none found" : s.vulkanDrivers.join(", ")}`,
    `  packages: ${pkgs}`,
    "Peers (bench):",
    ...peers,
  ];
};

export const doctorText = (r: DoctorReport): string =>
  [...runtimeText(r.node), ...runtimeText(r.deno), ...systemText(r.system), ...r.notes, ""].join("\n");

const noAdapter = (fix: string): AppError =>
  appError("NoDevice", "Cannot find a WebGPU adapter in Node or in Deno", fix);

export const runDoctorCommand = async (
  a: t.TypeOf<typeof DoctorArgs>,
  io: Io,
  probes: DoctorProbes = realProbes(io),
): Promise<E.Either<AppError, void>> => {
  if (a.self === true) {
    const r = await selfReport(probes);
    io.out(a.json ? `${JSON.stringify(r)}\n` : `${runtimeText(r).join("\n")}\n`);
    return r.adapter === null
      ? E.left(
        appError(
          "NoDevice",
          `Cannot find a WebGPU adapter in ${r.runtime.name}: ${r.error}`,
          "run `inheritune doctor` without --self for the fix",
        ),
      )
      : E.right(undefined);
  }
  const r = await runDoctor(probes);
  io.out(a.json ? `${JSON.stringify(r, null, 2)}\n` : doctorText(r));
  return r.ok ? E.right(undefined) : E.left(noAdapter(r.fix ?? ""));
};
