/**
 * Turning a batch's recorded operations into one command buffer: consecutive dispatches share a
 * compute pass, copies and readback copies sit between passes. Every bind group is labelled
 * `<kernel>[<variant>] #<op index>` so a validation message points at the dispatch.
 * @module
 */
import { type CompiledKernel } from "./compile.ts";
import { type BindingDecl, type Vec3 } from "./kernel.ts";
import { type GpuTensor, type TensorView } from "./tensor.ts";

export interface BufferRange { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number }

export type Op =
  | { readonly _tag: "dispatch"; readonly compiled: CompiledKernel; readonly views: readonly BufferRange[];
      readonly uniformOffset: number; readonly uniformSize: number; readonly physical: Vec3 }
  | { readonly _tag: "copy"; readonly src: GPUBuffer; readonly srcOffset: number; readonly dst: GPUBuffer; readonly dstOffset: number; readonly size: number }
  | { readonly _tag: "read"; readonly src: GPUBuffer; readonly size: number; readonly stagingOffset: number };

/** The buffer range a binding gets. Throws when the device could not bind it (see gpu/split.ts). */
export const checkBindable = (
  device: GPUDevice, k: CompiledKernel, decl: BindingDecl, value: GpuTensor | TensorView | undefined,
): BufferRange => {
  const where = `${k.kernel.name}.${decl.name}`;
  if (value === undefined) throw new Error(`Cannot dispatch ${k.kernel.name}: binding ${decl.name} is missing`);
  const t = value._kind === "GpuTensor" ? value : value.tensor;
  const [offset, size] = value._kind === "GpuTensor" ? [0, value.byteLength] : [value.offsetBytes, value.sizeBytes];
  if (t.dtype !== (decl.type ?? "f32")) throw new Error(`Cannot bind ${t.label} to ${where}: it is ${t.dtype}, the kernel wants ${decl.type ?? "f32"}`);
  const { maxStorageBufferBindingSize: max, minStorageBufferOffsetAlignment: align } = device.limits;
  if (size > max || offset % align !== 0 || offset + size > t.byteLength || size <= 0) {
    throw new Error(`Cannot bind ${t.label} bytes [${offset}, ${offset + size}) to ${where}: a binding holds at most ${max} bytes at offsets aligned to ${align}; split the tensor with bindingViews()`);
  }
  return { buffer: t.buffer, offset, size };
};

const bindGroup = (device: GPUDevice, op: Extract<Op, { _tag: "dispatch" }>, uniforms: GPUBuffer, index: number): GPUBindGroup =>
  device.createBindGroup({
    label: `${op.compiled.kernel.name}[${op.compiled.variant}] #${index}`,
    layout: op.compiled.layout,
    entries: [
      ...op.views.map((v, i) => ({ binding: i, resource: { buffer: v.buffer, offset: v.offset, size: v.size } })),
      { binding: op.views.length, resource: { buffer: uniforms, offset: op.uniformOffset, size: op.uniformSize } },
    ],
  });

export const encodeOps = (
  device: GPUDevice, label: string, ops: readonly Op[], uniforms: GPUBuffer, staging: GPUBuffer | undefined,
): GPUCommandBuffer => {
  const encoder = device.createCommandEncoder({ label });
  let pass: GPUComputePassEncoder | undefined;
  ops.forEach((op, i) => {
    if (op._tag === "dispatch") {
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
  return encoder.finish({ label });
};
