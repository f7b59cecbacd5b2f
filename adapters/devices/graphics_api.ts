/**
 * Which native graphics API a WebGPU adapter runs on (Vulkan, OpenGL, Metal, D3D12, …). WebGPU's
 * adapter.info does not say, so each runtime's answer is derived from what that runtime does expose,
 * and is "unknown" when it cannot be told:
 *   - Dawn (Node's `webgpu`): asked for an adapter name that matches none, dawn-node throws its list of
 *     adapters, one `* backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'` line each (its README
 *     documents this); our adapter's info.device is that name lower-cased with every run of other
 *     characters turned into one "-", so the entries of that name give the API when they agree.
 *   - wgpu (Deno): its info is the same under Vulkan and OpenGL (lavapipe and llvmpipe both describe
 *     themselves as "llvmpipe (LLVM …)"), so only DENO_WEBGPU_BACKEND naming one API tells it, or, on Linux,
 *     the absence of every Vulkan driver (wgpu's only other API there is OpenGL).
 * @module
 */

export type GraphicsApi =
  | "Vulkan"
  | "OpenGL"
  | "OpenGL ES"
  | "Metal"
  | "D3D12"
  | "D3D11"
  | "WebGPU"
  | "null"
  | "unknown";

export interface ApiFinding {
  readonly name: GraphicsApi;
  /** How it was found, or why it cannot be told. */
  readonly how: string;
}

export const unknownApi = (how: string): ApiFinding => ({ name: "unknown", how });

const DAWN_NAMES: Readonly<Record<string, GraphicsApi>> = {
  vulkan: "Vulkan",
  opengl: "OpenGL",
  opengles: "OpenGL ES",
  metal: "Metal",
  d3d12: "D3D12",
  d3d11: "D3D11",
  webgpu: "WebGPU",
  null: "null",
};

/** Dawn's normalised adapter name: "llvmpipe (LLVM 15.0.6, 256 bits)" → "llvmpipe-llvm-15-0-6-256-bits-". */
export const dawnDeviceId = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** The API of the adapter whose info.device is `device`, from dawn-node's "Available adapters:" list. */
export const apiFromDawnList = (list: string, device: string): ApiFinding => {
  const entries = [...list.matchAll(/\* backend: '([^']*)', name: '(.*)'$/gm)].map((m) => ({
    backend: m[1]!,
    name: m[2]!,
  }));
  const ours = entries.filter((e) => dawnDeviceId(e.name) === device);
  const apis = [...new Set(ours.map((e) => DAWN_NAMES[e.backend] ?? "unknown"))];
  if (apis.length === 1 && apis[0] !== "unknown") return { name: apis[0]!, how: "Dawn's adapter list" };
  return unknownApi(
    ours.length === 0
      ? `Dawn's adapter list has no adapter named like "${device}"`
      : `Dawn lists "${device}" under ${ours.map((e) => e.backend).join(" and ")}`,
  );
};

const WGPU_NAMES: Readonly<Record<string, GraphicsApi>> = {
  vulkan: "Vulkan",
  vk: "Vulkan",
  dx12: "D3D12",
  d3d12: "D3D12",
  metal: "Metal",
  mtl: "Metal",
  opengl: "OpenGL",
  gles: "OpenGL",
  gl: "OpenGL",
  webgpu: "WebGPU",
};

/** The API wgpu was limited to by DENO_WEBGPU_BACKEND (a comma list), when it names exactly one. */
export const apiFromWgpuBackends = (value: string | undefined): ApiFinding | undefined => {
  if (value === undefined || value.trim() === "") return undefined;
  const apis = [...new Set(value.split(",").map((s) => WGPU_NAMES[s.trim().toLowerCase()] ?? "unknown"))];
  return apis.length === 1 && apis[0] !== "unknown"
    ? { name: apis[0]!, how: `DENO_WEBGPU_BACKEND=${value}` }
    : undefined;
};

/**
 * wgpu's API when the environment does not name one: on Linux its backends are Vulkan and OpenGL, so
 * with no Vulkan driver manifest anywhere the Vulkan loader looks, the adapter can only be OpenGL.
 */
export const wgpuApiOnSystem = (platform: string, vulkanDrivers: readonly string[]): ApiFinding =>
  platform === "linux" && vulkanDrivers.length === 0
    ? { name: "OpenGL", how: "no Vulkan driver on this system, and wgpu's only other API on Linux is OpenGL" }
    : unknownApi("wgpu does not say which API it chose; `inheritune doctor` finds it");
