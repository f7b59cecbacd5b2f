/**
 * Peak GPU memory as the sum of the sizes of live buffers: the device's createBuffer is wrapped
 * to count each buffer until its destroy(). WebGPU has no query for what the driver holds, so
 * this is what we asked for (tensors, uniforms, staging), not what lavapipe or a GPU allocated.
 * @module
 */

export interface MemoryMeter {
  readonly live: () => number;
  readonly peak: () => number;
  /** Starts a new peak from the bytes live now. */
  readonly reset: () => void;
}

export const meterBuffers = (device: GPUDevice): MemoryMeter => {
  let live = 0, peak = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(desc);
    const destroy = buffer.destroy.bind(buffer);
    let gone = false;
    live += desc.size;
    peak = Math.max(peak, live);
    buffer.destroy = () => {
      if (!gone) live -= desc.size;
      gone = true;
      destroy();
    };
    return buffer;
  };
  return {
    live: () => live,
    peak: () => peak,
    reset: () => {
      peak = live;
    },
  };
};
