/**
 * lavapipe's vector width, chosen before Dawn lists its adapters. Mesa's llvmpipe (lavapipe, Vulkan
 * on the CPU) compiles every shader for 256-bit vectors, 8 f32 lanes a subgroup, unless Mesa's documented
 * LP_NATIVE_VECTOR_WIDTH says otherwise. On a host with AVX-512, 512 bits gives subgroups of 16, which
 * the lane probe finds and the lanes16 kernels use (gpu/kernels/profile.ts; the same bits as every
 * family). Measured on a 2-core Xeon with AVX-512 (issue 15), warm shader cache:
 *   - GPT-2 124M's half-depth target, a training step of 4 × 256: 26 → 38 tokens/s;
 *   - analyze 100 × 100 on it: 72 → 57.5 s.
 * The price is lavapipe's compile: 2–3× slower at 512 bits (that training's first step 85 → 222 s on a
 * cold cache; Mesa keeps the compiled shaders in ~/.cache/mesa_shader_cache*, so it is paid once).
 * So 512 is the default on AVX-512 hosts, and a width the user set is kept (`LP_NATIVE_VECTOR_WIDTH=256`
 * for the old one). Mesa reads the variable at each Vulkan instance: it is set before Dawn's create(). Real
 * GPUs' drivers do not read it. Deno's wgpu is not given it: it has no subgroups (its kernels are `cpu`).
 * @module
 */
import { readFileSync } from "node:fs";
import { platform } from "node:os";
import process from "node:process";

export const WIDTH_VARIABLE = "LP_NATIVE_VECTOR_WIDTH";

/** The width to set (undefined: none), and why. */
export interface VectorWidthChoice {
  readonly set?: "512";
  readonly why: string;
}

/** What the environment and the CPU's feature flags (/proc/cpuinfo's names: "avx512f", …) decide. */
export const chooseVectorWidth = (
  env: Readonly<Record<string, string | undefined>>,
  cpuFlags: ReadonlySet<string>,
): VectorWidthChoice => {
  const given = env[WIDTH_VARIABLE];
  if (given !== undefined && given.trim() !== "") return { why: `${WIDTH_VARIABLE}=${given} as set` };
  return cpuFlags.has("avx512f")
    ? { set: "512", why: "512-bit vectors on this AVX-512 CPU" }
    : { why: "lavapipe's own width: this CPU has no AVX-512" };
};

/** The first processor's feature flags from /proc/cpuinfo; empty elsewhere than Linux or when unreadable. */
export const cpuFlags = (): ReadonlySet<string> => {
  if (platform() !== "linux") return new Set();
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
    return new Set(line.trim().split(/\s+/));
  } catch {
    return new Set();
  }
};

/** The width lavapipe will run at in this environment once the choice is applied; undefined: lavapipe's own (256). */
export const lavapipeWidth = (
  env: Readonly<Record<string, string | undefined>>,
  flags: ReadonlySet<string>,
): string | undefined => chooseVectorWidth(env, flags).set ?? env[WIDTH_VARIABLE];

/** Sets the width chosen into this process's environment (which Mesa reads); returns the choice. */
export const applyVectorWidth = (env: Record<string, string | undefined> = process.env): VectorWidthChoice => {
  const choice = chooseVectorWidth(env, cpuFlags());
  if (choice.set !== undefined) env[WIDTH_VARIABLE] = choice.set;
  return choice;
};
