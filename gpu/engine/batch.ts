/**
 * A batch: many dispatches, copies and readbacks recorded into ONE command encoder and ONE
 * submit (a training step is one batch). Recording is synchronous and cheap; `submit` packs all
 * uniforms into one buffer (a slot per dispatch, at the device's offset alignment), encodes,
 * submits, and awaits once: the error scopes and, when something was read, one `mapAsync` of one
 * staging buffer. In Node, Dawn busy-polls a core while a GPU promise is pending, so read
 * everything a step needs through one batch rather than awaiting per tensor.
 * Consecutive dispatches share a compute pass; WebGPU orders each dispatch's writes before the
 * next one's reads, so a chain of kernels needs no barriers. A timed batch (`timestamps`, on a
 * device with "timestamp-query") gives each dispatch a pass bracketed by two timestamps and
 * returns every dispatch's GPU time with the readbacks (bench/ splits a step with it).
 * @module
 */
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as E from "fp-ts/lib/Either.js";
import { BufferUsage, MapMode, roundUp } from "./_usage.ts";
import { packUniforms, uniformBytes } from "./_uniforms.ts";
import { type CompiledKernel } from "./compile.ts";
import { type GpuError, gpuError } from "./errors.ts";
import { foldGrid } from "./grid.ts";
import { type Pace, pacedWait } from "./pacing.ts";
import { type AnyKernel, type BindingNames, type Kernel, type UniformValues, type Vec3 } from "./kernel.ts";
import { type ArrayOf, type DType, type GpuTensor, type TensorView } from "./tensor.ts";
import { checkBindable, encodeOps, type Op, type Timestamps } from "./_encode.ts";

export type Bindable<D extends DType = DType> = GpuTensor<D> | TensorView<D>;
// deno-lint-ignore no-explicit-any
export type BindingsFor<K> = K extends Kernel<infer B, any, any> ? { readonly [N in BindingNames<B>]: Bindable }
  : never;
// deno-lint-ignore no-explicit-any
export type UniformsFor<K> = K extends Kernel<any, infer U, any> ? UniformValues<U> : never;

export interface ReadHandle<D extends DType> {
  readonly _kind: "ReadHandle";
  readonly slot: number;
  readonly dtype: D;
}
/** GPU time of one dispatch of a timed batch. */
export interface KernelTime {
  readonly kernel: string;
  readonly ns: number;
}
export interface Readbacks {
  get<D extends DType>(h: ReadHandle<D>): ArrayOf<D>;
  /** Each dispatch's GPU time, in order; empty unless the batch was timed. */
  readonly timings: ReadonlyArray<KernelTime>;
}
export interface BatchOptions {
  readonly timestamps?: boolean;
  /** What the wait for its result is paced by (gpu/engine/pacing.ts): by default the label, one unit. */
  readonly pace?: Pace;
}

export interface Batch {
  readonly label: string;
  /** Records one dispatch. Throws on a missing binding, a wrong dtype, a view the device cannot bind, a bad uniform. */
  dispatch<K extends AnyKernel>(k: CompiledKernel<K>, bindings: BindingsFor<K>, uniforms: UniformsFor<K>): Batch;
  /** Records a whole-tensor copy (same size and dtype). */
  copy(src: GpuTensor, dst: GpuTensor): Batch;
  /** Records a copy of the tensor, as it is at this point of the batch, to the staging buffer. */
  read<D extends DType>(t: GpuTensor<D>): ReadHandle<D>;
  /** Encodes, submits, awaits once. A batch submits once. */
  submit(): TE.TaskEither<GpuError, Readbacks>;
  readonly size: number;
}

const arrayOf = <D extends DType>(dtype: D, bytes: ArrayBuffer): ArrayOf<D> =>
  (dtype === "f32"
    ? new Float32Array(bytes)
    : dtype === "i32"
    ? new Int32Array(bytes)
    : new Uint32Array(bytes)) as ArrayOf<D>;

const timestampsFor = (device: GPUDevice, label: string, ops: readonly Op[], stagingOffset: number): Timestamps => {
  if (!device.features.has("timestamp-query")) {
    throw new Error(`Cannot time batch ${label}: the device has no "timestamp-query" feature`);
  }
  const dispatches = ops.filter((op) => op._tag === "dispatch").length;
  if (2 * dispatches > 4096) {
    throw new Error(
      `Cannot time batch ${label}: ${dispatches} dispatches need more than the 4096 timestamps a query set holds`,
    );
  }
  const set = device.createQuerySet({
    label: `${label} timestamps`,
    type: "timestamp",
    count: Math.max(2, 2 * dispatches),
  });
  const resolve = device.createBuffer({
    label: `${label} timestamps`,
    size: Math.max(16, 16 * dispatches),
    usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC,
  });
  return { set, resolve, dispatches, stagingOffset };
};

const kernelTimes = (ops: readonly Op[], stamps: BigUint64Array): KernelTime[] =>
  ops.flatMap((op) => (op._tag === "dispatch" ? [op.compiled.kernel.name] : []))
    .map((kernel, j) => ({ kernel, ns: Math.max(0, Number(stamps[2 * j + 1]! - stamps[2 * j]!)) }));

export const createBatch = (device: GPUDevice, label: string, opts: BatchOptions = {}): Batch => {
  const ops: Op[] = [];
  const reads: { tensor: GpuTensor; offset: number }[] = [];
  const slotBytes = (k: AnyKernel) => roundUp(uniformBytes(k), device.limits.minUniformBufferOffsetAlignment);
  let uniformEnd = 0;
  let stagingEnd = 0;
  let submitted = false;
  const open = (): void => {
    if (submitted) throw new Error(`Cannot record into batch ${label}: it was already submitted`);
  };
  const uniformData: { base: number; kernel: AnyKernel; grid: Vec3; values: Readonly<Record<string, number>> }[] = [];

  const batch: Batch = {
    label,
    get size() {
      return ops.length;
    },
    dispatch(k, bindings, uniforms) {
      open();
      const views = k.kernel.bindings.map((b) =>
        checkBindable(device, k, b, (bindings as Record<string, Bindable | undefined>)[b.name])
      );
      const values = uniforms as Readonly<Record<string, number>>;
      const logical = k.kernel.grid(values, k.workgroupSize, k.defines);
      const fold = foldGrid(logical, device.limits.maxComputeWorkgroupsPerDimension);
      uniformData.push({ base: uniformEnd, kernel: k.kernel, grid: logical, values });
      ops.push({
        _tag: "dispatch",
        compiled: k,
        views,
        uniformOffset: uniformEnd,
        uniformSize: slotBytes(k.kernel),
        physical: fold.physical,
      });
      uniformEnd += slotBytes(k.kernel);
      return batch;
    },
    copy(src, dst) {
      open();
      if (src.byteLength !== dst.byteLength || src.dtype !== dst.dtype) {
        throw new Error(
          `Cannot copy ${src.label} into ${dst.label}: ${src.size} ${src.dtype} vs ${dst.size} ${dst.dtype}`,
        );
      }
      ops.push({
        _tag: "copy",
        src: src.buffer,
        srcOffset: 0,
        dst: dst.buffer,
        dstOffset: 0,
        size: roundUp(src.byteLength, 4),
      });
      return batch;
    },
    read(t) {
      open();
      reads.push({ tensor: t, offset: stagingEnd });
      ops.push({ _tag: "read", src: t.buffer, size: t.byteLength, stagingOffset: stagingEnd });
      stagingEnd += roundUp(t.byteLength, 16);
      return { _kind: "ReadHandle", slot: reads.length - 1, dtype: t.dtype };
    },
    submit: () => async () => {
      open();
      submitted = true;
      const bytes = new ArrayBuffer(Math.max(uniformEnd, 16));
      const dv = new DataView(bytes);
      for (const u of uniformData) packUniforms(dv, u.base, u.kernel, u.grid, u.values);
      device.pushErrorScope("out-of-memory");
      device.pushErrorScope("validation");
      const uniformsBuf = device.createBuffer({
        label: `${label} uniforms`,
        size: bytes.byteLength,
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(uniformsBuf, 0, bytes);
      const timed = opts.timestamps === true ? timestampsFor(device, label, ops, stagingEnd) : undefined;
      const stagingSize = stagingEnd + 16 * (timed?.dispatches ?? 0);
      const staging = stagingSize === 0 ? undefined : device.createBuffer({
        label: `${label} readback`,
        size: stagingSize,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      });
      device.queue.submit([encodeOps(device, label, ops, uniformsBuf, staging, timed)]);
      const submittedAt = performance.now();
      timed?.set.destroy();
      timed?.resolve.destroy();
      uniformsBuf.destroy(); // deferred by WebGPU until the submitted work is done
      const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]); // errors come from the calls, not the GPU: at once
      // No GPU promise is pending now, so a sleep polls nothing (gpu/engine/pacing.ts); a batch that reads nothing has nothing to wait for.
      const mapError = staging === undefined
        ? undefined
        : await pacedWait(device, opts.pace ?? { key: label, units: 1 }, submittedAt, () =>
          staging.mapAsync(MapMode.READ).then(() =>
            undefined, (e: unknown) =>
            String(e)));
      const failure = validation?.message ?? oom?.message;
      if (failure !== undefined || mapError !== undefined) {
        staging?.destroy();
        return E.left(
          failure !== undefined
            ? gpuError(
              "Validation",
              `Cannot run batch ${label}: ${failure}`,
              "a kernel's bindings or sizes disagree with its record; the message names the resource by label",
            )
            : gpuError(
              "Readback",
              `Cannot read back batch ${label}: ${mapError}`,
              "the device was probably lost; see the device's lost reason",
            ),
        );
      }
      const results = reads.map((r) =>
        arrayOf(r.tensor.dtype, staging!.getMappedRange(r.offset, roundUp(r.tensor.byteLength, 4)).slice(0))
      );
      const timings = timed === undefined
        ? []
        : kernelTimes(ops, new BigUint64Array(staging!.getMappedRange(stagingEnd, 16 * timed.dispatches).slice(0)));
      staging?.unmap();
      staging?.destroy();
      return E.right({ get: <D extends DType>(h: ReadHandle<D>) => results[h.slot] as ArrayOf<D>, timings });
    },
  };
  return batch;
};
