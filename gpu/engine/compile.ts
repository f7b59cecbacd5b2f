/**
 * Compiling kernels into compute pipelines, cached by kernel name and variant.
 * A rejected shader becomes a Left naming the kernel, the variant and the first error with its
 * source line (from getCompilationInfo, inside a validation error scope, so nothing reaches the
 * device's uncaptured-error handler). The layout is explicit, not "auto", so a binding the body
 * happens not to use still binds.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type GpuError, gpuError } from "./errors.ts";
import { type AnyKernel, type Defines, resolveDefines, type Vec3, workgroupSizeOf } from "./kernel.ts";
import { kernelSource } from "./wgsl.ts";

export interface CompiledKernel<K extends AnyKernel = AnyKernel> {
  readonly kernel: K;
  readonly variant: string;
  readonly defines: Defines;
  readonly workgroupSize: Vec3;
  readonly code: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export interface KernelCache {
  readonly device: GPUDevice;
  /** Compiles once per (kernel name, variant); later calls share the first one's result. */
  compile<K extends AnyKernel>(kernel: K, variant?: string): TE.TaskEither<GpuError, CompiledKernel<K>>;
}

const bindGroupLayout = (device: GPUDevice, kernel: AnyKernel): GPUBindGroupLayout =>
  device.createBindGroupLayout({
    label: `${kernel.name} layout`,
    entries: [
      ...kernel.bindings.map((b, i): GPUBindGroupLayoutEntry => ({
        binding: i,
        visibility: 0x4, // GPUShaderStage.COMPUTE
        buffer: { type: b.access === "read" ? "read-only-storage" : "storage" },
      })),
      { binding: kernel.bindings.length, visibility: 0x4, buffer: { type: "uniform" } },
    ],
  });

const rejected = (kernel: AnyKernel, variant: string, detail: string): GpuError =>
  gpuError(
    "KernelRejected",
    `Cannot compile kernel ${kernel.name}[${variant}]: ${detail}`,
    "the line numbers count from the top of the generated module; print kernelSource(...) to see it",
  );

const firstError = (info: GPUCompilationInfo, code: string): string | undefined => {
  const err = info.messages.find((m) => m.type === "error");
  if (err === undefined) return undefined;
  const line = code.split("\n")[err.lineNum - 1]?.trim() ?? "";
  // naga's message spans lines (a caret drawing); Tint's is one line. Keep the first non-empty one.
  const first = err.message.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "rejected";
  return `${first} (line ${err.lineNum}: \`${line}\`)`;
};

const compileUncached = async <K extends AnyKernel>(
  device: GPUDevice,
  kernel: K,
  variant: string,
  defines: Defines,
): Promise<CompiledKernel<K> | GpuError> => {
  const workgroupSize = workgroupSizeOf(kernel, defines);
  const code = kernelSource(kernel, defines, workgroupSize);
  const label = `${kernel.name}[${variant}]`;
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label, code });
  const info = await module.getCompilationInfo().catch((): GPUCompilationInfo =>
    ({ messages: [] }) as unknown as GPUCompilationInfo
  );
  const layout = bindGroupLayout(device, kernel);
  const pipelineLayout = device.createPipelineLayout({ label, bindGroupLayouts: [layout] });
  const pipeline = await device
    .createComputePipelineAsync({ label, layout: pipelineLayout, compute: { module, entryPoint: "main" } })
    .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  const scoped = await device.popErrorScope();
  const detail = firstError(info, code) ?? (typeof pipeline === "string" ? pipeline : scoped?.message);
  if (detail !== undefined || typeof pipeline === "string") {
    return rejected(kernel, variant, detail ?? "pipeline failed");
  }
  return { kernel, variant, defines, workgroupSize, code, pipeline, layout };
};

/** A pipeline cache for one device. */
export const createKernelCache = (device: GPUDevice): KernelCache => {
  const cache = new Map<string, { kernel: AnyKernel; result: Promise<CompiledKernel | GpuError> }>();
  const compile =
    <K extends AnyKernel>(kernel: K, variant = "default"): TE.TaskEither<GpuError, CompiledKernel<K>> => async () => {
      const key = `${kernel.name}[${variant}]`;
      const hit = cache.get(key);
      if (hit !== undefined && hit.kernel !== kernel) {
        throw new Error(`Cannot cache kernel ${key}: two different kernel records share the name`);
      }
      const defines = resolveDefines(kernel, variant);
      if (defines === undefined) {
        const known = ["default", ...Object.keys(kernel.variants ?? {})].join(", ");
        return E.left(
          gpuError("UnknownVariant", `Cannot compile kernel ${key}: no such variant`, `use one of: ${known}`),
        );
      }
      const entry = hit ?? { kernel, result: compileUncached(device, kernel, variant, defines) };
      cache.set(key, entry);
      const r = await entry.result;
      return "pipeline" in r ? E.right(r as CompiledKernel<K>) : E.left(r);
    };
  return { device, compile };
};
