/**
 * Turning a batch's recorded operations into one command buffer: consecutive dispatches share a
 * compute pass, copies and readback copies sit between passes. Every bind group is labelled
 * `<kernel>[<variant>] #<op index>` so a validation message points at the dispatch.
 * @module
 */
import { type CompiledKernel } from "./compile.ts";
import { type BindingDecl, dtypeOfElement, type Vec3 } from "./kernel.ts";
import { type GpuTensor, type TensorView } from "./tensor.ts";

export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

export type Op =
  | {
    readonly _tag: "dispatch";
    readonly compiled: CompiledKernel;
    readonly views: readonly BufferRange[];
    readonly uniformOffset: number;
    readonly uniformSize: number;
    readonly physical: Vec3;
  }
  | {
    readonly _tag: "copy";
    readonly src: GPUBuffer;
    readonly srcOffset: number;
    readonly dst: GPUBuffer;
    readonly dstOffset: number;
    readonly size: number;
  }
  | { readonly _tag: "read"; readonly src: GPUBuffer; readonly size: number; readonly stagingOffset: number };

/** The buffer range a binding gets. Throws when the device could not bind it (see gpu/engine/split.ts). */
export const checkBindable = (
  device: GPUDevice,
  k: CompiledKernel,
  decl: BindingDecl,
  value: GpuTensor | TensorView | undefined,
): BufferRange => {
  const where = `${k.kernel.name}.${decl.name}`;
  if (value === undefined) throw new Error(`Cannot dispatch ${k.kernel.name}: binding ${decl.name} is missing`);
  const t = value._kind === "GpuTensor" ? value : value.tensor;
  const [offset, size] = value._kind === "GpuTensor" ? [0, value.byteLength] : [value.offsetBytes, value.sizeBytes];
  const elem = decl.type ?? "f32";
  if (t.dtype !== dtypeOfElement(elem)) {
    throw new Error(`Cannot bind ${t.label} to ${where}: it is ${t.dtype}, the kernel wants ${elem}`);
  }
  const { maxStorageBufferBindingSize: max, minStorageBufferOffsetAlignment: align } = device.limits;
  if (elem === "vec4<f32>" && (size % 16 !== 0 || offset % 16 !== 0)) {
    throw new Error(
      `Cannot bind ${t.label} bytes [${offset}, ${
        offset + size
      }) to ${where} as vec4<f32>: size and offset must be multiples of 16 bytes; use the kernel's scalar variant for this shape`,
    );
  }
  if (size > max || offset % align !== 0 || offset + size > t.byteLength || size <= 0) {
    throw new Error(
      `Cannot bind ${t.label} bytes [${offset}, ${
        offset + size
      }) to ${where}: a binding holds at most ${max} bytes at offsets aligned to ${align}; split the tensor with bindingViews()`,
    );
  }
  return { buffer: t.buffer, offset, size };
};

const bindGroup = (
  device: GPUDevice,
  op: Extract<Op, { _tag: "dispatch" }>,
  uniforms: GPUBuffer,
  index: number,
): GPUBindGroup =>
  device.createBindGroup({
    label: `${op.compiled.kernel.name}[${op.compiled.variant}] #${index}`,
    layout: op.compiled.layout,
    entries: [
      ...op.views.map((v, i) => ({ binding: i, resource: { buffer: v.buffer, offset: v.offset, size: v.size } })),
      { binding: op.views.length, resource: { buffer: uniforms, offset: op.uniformOffset, size: op.uniformSize } },
    ],
  });

/**
 * Where timestamps go when a batch is timed: queries 2j and 2j + 1 bracket dispatch j; they are
 * resolved into `resolve` and copied to the staging buffer at `stagingOffset`.
 */
export interface Timestamps {
  readonly set: GPUQuerySet;
  readonly resolve: GPUBuffer;
  readonly dispatches: number;
  readonly stagingOffset: number;
}

export const encodeOps = (
  device: GPUDevice,
  label: string,
  ops: readonly Op[],
  uniforms: GPUBuffer,
  staging: GPUBuffer | undefined,
  timestamps?: Timestamps,
): GPUCommandBuffer => {
  const encoder = device.createCommandEncoder({ label });
  let pass: GPUComputePassEncoder | undefined;
  let timed = 0;
  ops.forEach((op, i) => {
    if (op._tag === "dispatch") {
      if (timestamps !== undefined) { // a pass of its own, bracketed by two timestamps
        pass?.end();
        const q = 2 * timed++;
        pass = encoder.beginComputePass({
          label: `${label} pass @${i}`,
          timestampWrites: { querySet: timestamps.set, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 },
        });
      }
      pass ??= encoder.beginComputePass({ label: `${label} pass @${i}` });
      pass.setPipeline(op.compiled.pipeline);
      pass.setBindGroup(0, bindGroup(device, op, uniforms, i));
      const [x, y, z] = op.physical;
      if (x * y * z > 0) pass.dispatchWorkgroups(x, y, z);
      return;
    }
    pass?.end();
    pass = undefined;
    if (op._tag === "copy") encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
    else encoder.copyBufferToBuffer(op.src, 0, staging!, op.stagingOffset, op.size);
  });
  pass?.end();
  if (timestamps !== undefined && timestamps.dispatches > 0) {
    encoder.resolveQuerySet(timestamps.set, 0, 2 * timestamps.dispatches, timestamps.resolve, 0);
    encoder.copyBufferToBuffer(timestamps.resolve, 0, staging!, timestamps.stagingOffset, 16 * timestamps.dispatches);
  }
  return encoder.finish({ label });
};
