/**
 * `inheritune doctor`'s findings: what each runtime sees (its adapter, features, limits, the kernel
 * family it would use and the lanes probe's answer), the Vulkan drivers and versions on the system, and
 * the bench's peers. The probes are handed in (DoctorProbes), so the verdict and the report's shape are
 * tested on fixed findings; cli/commands/doctor.ts wires the real ones and prints.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { createKernelCache, type KernelProfile, probeLaneWidth, profileFor } from "../../gpu/mod.ts";
import { installNote, type RuntimeInfo } from "./adapter_line.ts";
import type { ApiFinding } from "./graphics_api.ts";
import { type PythonPeers, runProgram, type SystemFacts, type VulkanInfo } from "./system_probe.ts";
import { type AcquiredDevice, type DeviceError, MESA_HINT } from "./webgpu_device.ts";
import type { AdapterReport } from "./webgpu_info.ts";

/** One runtime's view: its adapter (null with the reason when there is none) and what it would run. */
export interface RuntimeReport {
  readonly present: true;
  readonly runtime: RuntimeInfo;
  readonly adapter: AdapterReport | null;
  readonly error: string | null;
  readonly kernels: KernelProfile | null;
  /** gpu/kernels/lanes_probe.ts's answer on the device; null without an adapter. */
  readonly lanes: boolean | null;
}

/** A runtime that could not be asked (not installed, not built, or its answer unreadable). */
export interface RuntimeMissing {
  readonly present: false;
  readonly runtime: RuntimeInfo["name"];
  readonly why: string;
}

export type RuntimeSeen = RuntimeReport | RuntimeMissing;

export interface SystemReport {
  readonly vulkanDrivers: readonly string[];
  readonly vulkaninfo: VulkanInfo;
  /** Debian package versions (null: not installed); null when there is no dpkg. */
  readonly packages: Readonly<Record<string, string | null>> | null;
  readonly peers: readonly PythonPeers[];
}

export interface DoctorReport {
  /** A WebGPU adapter exists in at least one runtime. */
  readonly ok: boolean;
  readonly node: RuntimeSeen;
  readonly deno: RuntimeSeen;
  readonly system: SystemReport;
  readonly notes: readonly string[];
  /** What to do when !ok. */
  readonly fix: string | null;
}

/** The ways wgpu can be limited to one API (DENO_WEBGPU_BACKEND) to tell which one it chose. */
export const WGPU_APIS = ["vulkan", "gl"] as const;

export interface DoctorProbes {
  /** This runtime, asked in this process. */
  readonly self: () => Promise<RuntimeReport>;
  /** This runtime again in a child limited to one API; undefined where the runtime names its API itself. */
  readonly restricted: ((api: (typeof WGPU_APIS)[number]) => Promise<RuntimeSeen>) | undefined;
  /** The other runtime, as a child running `doctor --self --json`. */
  readonly peer: () => Promise<RuntimeSeen>;
  readonly system: () => Promise<SystemReport>;
  readonly facts: () => Promise<SystemFacts>;
}

/** Asks a runtime's device source what it sees; the device is released before this returns. */
export const probeRuntime = async (
  runtime: RuntimeInfo,
  getDevice: () => TE.TaskEither<DeviceError, AcquiredDevice>,
): Promise<RuntimeReport> => {
  const dev = await getDevice()();
  if (E.isLeft(dev)) {
    return { present: true, runtime, adapter: null, error: dev.left.message, kernels: null, lanes: null };
  }
  try {
    const width = await probeLaneWidth(createKernelCache(dev.right.device)), info = dev.right.info;
    return {
      present: true,
      runtime,
      adapter: info,
      error: null,
      kernels: profileFor(info, info.isCpu ? width : 0),
      lanes: width >= 8,
    };
  } finally {
    dev.right.release();
  }
};

/** Two reports of the same adapter: everything the runtime says about it, its API aside. */
const sameAdapter = (a: AdapterReport, b: AdapterReport): boolean =>
  JSON.stringify({ ...a, api: null }) === JSON.stringify({ ...b, api: null });

/**
 * The API of an adapter whose runtime does not name it, from children limited to one API each: the one
 * whose adapter is the same, when exactly one is. Otherwise the finding stays as it was.
 */
export const matchApi = (
  adapter: AdapterReport,
  restricted: ReadonlyArray<readonly [string, RuntimeSeen]>,
): ApiFinding => {
  const same = restricted.filter(([, r]) => r.present && r.adapter !== null && sameAdapter(adapter, r.adapter));
  if (same.length !== 1) return adapter.api;
  const [env, r] = same[0]!;
  const name = (r as RuntimeReport).adapter!.api.name;
  return name === "unknown"
    ? adapter.api
    : { name, how: `the same adapter as wgpu gives with DENO_WEBGPU_BACKEND=${env}` };
};

/** This runtime's view, its API found through restricted children when the adapter does not name it. */
export const selfReport = async (p: DoctorProbes): Promise<RuntimeReport> => {
  const self = await p.self();
  if (self.adapter === null || self.adapter.api.name !== "unknown" || p.restricted === undefined) return self;
  const restricted = [];
  for (const api of WGPU_APIS) restricted.push([api, await p.restricted(api)] as const);
  return { ...self, adapter: { ...self.adapter, api: matchApi(self.adapter, restricted) } };
};

const hasAdapter = (r: RuntimeSeen): boolean => r.present && r.adapter !== null;

/** The whole report: both runtimes, the system, the notes on slow or missing adapters, and the verdict. */
export const runDoctor = async (p: DoctorProbes): Promise<DoctorReport> => {
  const self = await selfReport(p), peer = await p.peer(), system = await p.system(), facts = await p.facts();
  const [node, deno] = self.runtime.name === "Node" ? [self, peer] : [peer, self];
  const notes = [node, deno].flatMap((r) =>
    r.present ? [installNote(r.runtime, r.adapter ?? "none", facts)].filter((n): n is string => n !== undefined) : []
  );
  const ok = hasAdapter(node) || hasAdapter(deno);
  return { ok, node, deno, system, notes, fix: ok ? null : (notes[0]?.replace(/^note: /, "") ?? MESA_HINT) };
};

/** The exit code doctor ends with: 0 when some runtime has a WebGPU adapter, else 1. */
export const doctorExitCode = (r: { readonly ok: boolean }): number => (r.ok ? 0 : 1);

/**
 * Reads a child's `doctor --self --json` answer; anything else is the runtime missing, with the reason.
 * The answer is the child's own report of itself, so only its outline is checked.
 */
export const readSelfReport = (name: RuntimeInfo["name"], stdout: string, why: string): RuntimeSeen => {
  try {
    const r = JSON.parse(stdout) as Partial<RuntimeReport>;
    if (r.present === true && r.runtime?.name === name && "adapter" in r) return r as RuntimeReport;
  } catch {
    // not JSON: fall through to the reason
  }
  return { present: false, runtime: name, why };
};

/** A runtime's command line (program and leading arguments), or why there is none. */
export type RuntimeCommand =
  | { readonly present: true; readonly name: RuntimeInfo["name"]; readonly argv: readonly string[] }
  | { readonly present: false; readonly name: RuntimeInfo["name"]; readonly why: string };

/** Runs `<argv> doctor --self --json` (with `env` added) and reads its answer. */
export const askRuntime = async (
  cmd: RuntimeCommand,
  env: Readonly<Record<string, string>> = {},
): Promise<RuntimeSeen> => {
  if (!cmd.present) return { present: false, runtime: cmd.name, why: cmd.why };
  const [file, ...args] = cmd.argv;
  const r = await runProgram(file!, [...args, "doctor", "--self", "--json"], { env, timeoutMs: 120_000 });
  if (!r.ran) return { present: false, runtime: cmd.name, why: r.why };
  const last = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).at(-1);
  return readSelfReport(
    cmd.name,
    r.stdout,
    `${cmd.argv.join(" ")} doctor --self --json exited ${r.code}${last ? `: ${last}` : ""}`,
  );
};
