/**
 * The one line every computing command starts with (on stderr, so --json stdout stays one value): the
 * runtime and its WebGPU implementation, the adapter, its native API, whether it is a software adapter,
 * the kernel family chosen and the binding and buffer limits in use. Beside it, the note that names the
 * install command when the adapter is an OpenGL fallback or there is none while Mesa's Vulkan driver
 * could be installed (issue 18: OpenGL trained at 1,182 tokens/s where Vulkan lavapipe gave 3,600–6,800).
 * @module
 */
import type { KernelProfile } from "../../gpu/mod.ts";
import type { SystemFacts } from "./system_probe.ts";
import type { AdapterReport } from "./webgpu_info.ts";
import { mibText as mib } from "../../core/report/bytes.ts";

export interface RuntimeInfo {
  readonly name: "Node" | "Deno";
  readonly version: string;
  readonly webgpu: "Dawn" | "wgpu";
}

export const runtimeLabel = (r: RuntimeInfo): string => `${r.name} ${r.version} + ${r.webgpu}`;

/** wgpu gives the PCI vendor id in decimal ("65541"); hex is how vendors are known (0x10005: Mesa). */
const vendorName = (v: string): string => (/^\d+$/.test(v) ? `vendor 0x${Number(v).toString(16)}` : v);

export const adapterName = (r: AdapterReport): string =>
  [r.vendor === "" ? "" : vendorName(r.vendor), r.description || r.device].filter((s) => s !== "").join(" ") ||
  "unnamed adapter";

export const apiText = (r: AdapterReport): string =>
  r.api.name === "unknown" ? "API unknown (`inheritune doctor` finds it)" : r.api.name;

/** A software adapter's vector width as its name gives it (lavapipe: "llvmpipe-llvm-15-0-6-512-bits-"), else undefined. */
export const vectorBits = (r: AdapterReport): number | undefined => {
  const m = r.isCpu ? /(\d+)[- ]bits/.exec(`${r.device} ${r.description}`) : null;
  return m === null ? undefined : Number(m[1]);
};

const kindText = (r: AdapterReport): string => {
  const bits = vectorBits(r), shown = bits === undefined || /bits/.test(adapterName(r)); // wgpu's name says it
  return r.isCpu ? `software adapter${shown ? "" : `, ${bits}-bit vectors`}` : "hardware adapter";
};

/**
 * `device: Node v20.19.4 + Dawn · mesa llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) · Vulkan · software adapter, 256-bit
 * vectors · kernels lanes · binding 128 MiB, buffer 4096 MiB`.
 */
export const adapterLine = (runtime: string, r: AdapterReport, profile: KernelProfile): string =>
  [
    `device: ${runtime}`,
    adapterName(r),
    apiText(r),
    kindText(r),
    `kernels ${profile}`,
    `binding ${mib(r.limits.maxStorageBufferBindingSize)}, buffer ${mib(r.limits.maxBufferSize)}`,
  ].join(" · ");

export const noAdapterLine = (runtime: string, why: string): string =>
  `note: ${runtime} has no WebGPU adapter (${why}); computing on the CPU reference`;

const APT = "`sudo apt-get install mesa-vulkan-drivers libvulkan1`";
const BACKPORTS = "`sudo apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`";

/** The leading number of a Debian version ("1:25.0.7-2~bpo12+1" → 25). */
const major = (v: string): number => Number(/^(?:\d+:)?(\d+)/.exec(v)?.[1] ?? NaN);

/**
 * The note for a slow or missing adapter, or undefined when there is nothing better to install (a
 * Vulkan or Metal adapter, or a system this cannot tell about). `found` is the adapter, or "none".
 */
export const installNote = (
  runtime: RuntimeInfo,
  found: AdapterReport | "none",
  facts: SystemFacts,
): string | undefined => {
  const gl = found !== "none" && (found.api.name === "OpenGL" || found.api.name === "OpenGL ES");
  if ((found !== "none" && !gl) || facts.platform !== "linux") return undefined;
  const what = gl
    ? `${runtime.webgpu} runs WebGPU on OpenGL, a fallback that trains several times slower than Vulkan`
    : `${runtime.name} found no WebGPU adapter`;
  if (!facts.debian || facts.packages === undefined) {
    return `note: ${what}; install your distribution's Mesa Vulkan driver (lavapipe, Mesa >= 24)` +
      " or your GPU's Vulkan driver, then run `inheritune doctor`";
  }
  const mesa = facts.packages["mesa-vulkan-drivers"] ?? null, loader = facts.packages["libvulkan1"] ?? null;
  if (mesa === null || loader === null) {
    const missing = [mesa === null ? "mesa-vulkan-drivers" : "", loader === null ? "libvulkan1" : ""].filter((s) => s);
    return `note: ${what}; ${missing.join(" and ")} not installed: ${APT}` +
      ` (Debian 12: ${BACKPORTS}, for the Mesa >= 24 Dawn needs; .ci/install-system.sh does both)`;
  }
  if (runtime.webgpu === "Dawn" && major(mesa) < 24) {
    return `note: ${what}; Mesa ${mesa} is older than the 24 Dawn needs: ${BACKPORTS}` +
      " (.ci/install-system.sh adds the suite)";
  }
  return `note: ${what}, though mesa-vulkan-drivers ${mesa} is installed;` +
    " `vulkaninfo --summary` and `inheritune doctor` show what each runtime sees";
};
