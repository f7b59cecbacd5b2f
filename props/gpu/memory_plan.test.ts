/**
 * The memory plan (gpu/train/memory_plan.ts) against what a GPU trainer really allocates: for any model,
 * micro-batch shape, held-out tail shape and optional teacher, the plan's total is the sum of the storage
 * buffers the trainer creates (counted on a device whose createBuffer is watched) over its creation, a
 * training step and an evaluation of each shape, to the byte; and its largest buffer is the largest made.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { withDepth } from "../../core/model/spec.ts";
import { createKernelCache } from "../../gpu/engine/compile.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { trainingMemoryPlan } from "../../gpu/train/memory_plan.ts";
import { unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbSpec, arbTokens, arbWeights } from "../core/arbitraries.ts";

const gpu = useGpu();
const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };
const STORAGE = 0x80; // GPUBufferUsage.STORAGE

/** The device, with every storage buffer's size recorded as it is created. */
const watched = (device: GPUDevice) => {
  const sizes: number[] = [];
  const proxy = new Proxy(device, {
    get(target, key) {
      if (key === "createBuffer") {
        return (d: GPUBufferDescriptor) => ((d.usage & STORAGE) !== 0 && sizes.push(d.size), target.createBuffer(d));
      }
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { device: proxy, sizes };
};

const arbCase = arbSpec.chain((s) =>
  fc.record({
    s: fc.constant(s),
    w: arbWeights(s),
    batch: arbTokens(s),
    tail: fc.integer({ min: 0, max: 2 }),
    // The device's binding limit, or 1 KiB (the least that holds one run of the clip's chunks), where the
    // embedding, the head's Wᵀ and the logits split into views and chunks.
    binding: fc.constantFrom(undefined, 1024),
    teacher: fc.option(fc.integer({ min: 0, max: 1 }).chain((extra) => arbWeights(withDepth(s, s.nLayer + extra)))),
  })
);

describe("the training memory plan", () => {
  test.prop([arbCase], { numRuns: Number(process.env.RUNS ?? 12) })(
    "for any model, batch, held-out tail, teacher and binding limit, the plan's total is what the trainer allocates, to the byte",
    async ({ s, w, batch: { B, T, tokens }, tail, teacher, binding }) => {
      const evalTail = Math.max(1, B - tail);
      const teacherSpec = teacher === null ? undefined : withDepth(s, layersOf(teacher));
      const { device, sizes } = watched(gpu().device);
      const cache = createKernelCache(device);
      const trainer = unwrap(
        await createGpuTrainer(
          cache,
          s,
          { weights: w },
          {
            ...(binding === undefined ? {} : { maxBindingBytes: binding }),
            ...(teacherSpec === undefined || teacher === null
              ? {}
              : { teacher: { spec: teacherSpec, weights: teacher, kd: { weight: 0.5, temperature: 2 } } }),
          },
        )(),
      );
      try {
        const mb = { tokens, targets: tokens.map((t) => (t + 1) % s.vocabSize) };
        unwrap(await trainer.step([mb], B, T, hp)());
        unwrap(await trainer.evalLoss(mb, B, T)());
        const short = { tokens: tokens.slice(0, evalTail * T), targets: mb.targets.slice(0, evalTail * T) };
        unwrap(await trainer.evalLoss(short, evalTail, T)());
      } finally {
        trainer.destroy();
      }
      const plan = trainingMemoryPlan(s, { batch: B, ctx: T, evalTail }, device.limits, teacherSpec, binding);
      expect(plan.total).toBe(sizes.reduce((a, b) => a + b, 0));
      expect(plan.largest.bytes).toBe(Math.max(...sizes));
    },
  );
});

/** The depth of a weight set: its highest block index + 1. */
const layersOf = (w: Record<string, Float32Array>): number =>
  1 + Math.max(...Object.keys(w).map((k) => Number(/^h\.(\d+)\./.exec(k)?.[1] ?? -1)));
