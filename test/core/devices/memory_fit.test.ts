/**
 * Whether a run fits (adapters/devices/memory_fit.ts): a plan over the adapter's maxBufferSize, or over a CPU
 * adapter's available host memory, is refused with one OutOfMemory line naming the plan and the levers; a
 * device whose out-of-memory scope reports an error turns the trainer's creation, or its first step of a shape,
 * into that error, and a trainer made before the error was seen is destroyed.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { describe, expect, it } from "vitest";
import { guardOutOfMemory, planFits } from "../../../adapters/devices/memory_fit.ts";
import type { AdapterReport } from "../../../adapters/devices/webgpu_info.ts";
import type { Trainer } from "../../../core/train/trainer.ts";
import { trainingMemoryPlan } from "../../../gpu/train/memory_plan.ts";
import type { ModelSpec } from "../../../core/model/spec.ts";

const limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 27, minStorageBufferOffsetAlignment: 256 };
const spec: ModelSpec = { // GPT-2 124M's first 6 blocks
  _tag: "gpt2",
  nLayer: 6,
  nHead: 12,
  nEmbd: 768,
  nInner: 3072,
  vocabSize: 50257,
  blockSize: 1024,
  normEps: 1e-5,
};
const plan = trainingMemoryPlan(spec, { batch: 4, ctx: 256 }, limits);
const adapter = (isCpu: boolean, maxBufferSize = limits.maxBufferSize) =>
  ({ isCpu, limits: { ...limits, maxBufferSize } }) as unknown as AdapterReport;

describe("a memory plan against the adapter", () => {
  it("a GPT-2 124M half-depth run at batch 4 × 256 plans its weights, moments and activations", () => {
    const bytes = (p: string) => plan.parts.find((x) => x.part === p)!.bytes;
    expect(bytes("AdamW moments")).toBe(2 * bytes("gradients"));
    expect(plan.total).toBe(plan.parts.reduce((a, p) => a + p.bytes, 0));
    expect(plan.largest.part).toBe("weights"); // wte, 50257 × 768 f32
    expect(plan.largest.bytes).toBe(Math.ceil((50257 * 768 * 4) / 16) * 16);
  });
  it("fits a GPU with room, and a CPU adapter with enough host memory", () => {
    expect(E.isRight(planFits(plan, adapter(false), 0))).toBe(true);
    expect(E.isRight(planFits(plan, adapter(true), 64 * 2 ** 30))).toBe(true);
  });
  it("is refused, naming the plan and the levers, when its largest buffer exceeds maxBufferSize", () => {
    const r = planFits(plan, adapter(false, 2 ** 27), 0);
    expect(E.isLeft(r) && r.left._tag).toBe("OutOfMemory");
    expect(E.isLeft(r) && r.left.message).toMatch(/largest buffer \(weights, .*\) exceeds the adapter's maxBufferSize/);
    expect(E.isLeft(r) && r.left.message).toMatch(/the memory plan needs .* GiB on the device \(weights/);
    expect(E.isLeft(r) && r.left.hint).toMatch(/smaller --batch with a larger --accum/);
  });
  it("is refused on a CPU adapter when the plan and a checkpoint's readback exceed the available memory", () => {
    const r = planFits(plan, adapter(true), plan.total);
    expect(E.isLeft(r) && r.left.message).toMatch(/CPU adapter's buffers live in this machine's memory/);
  });
});

/** A device whose error scopes report `oomAt` (by pop count) as out of memory. */
const fakeDevice = (oomAt: ReadonlySet<number>) => {
  let pops = 0;
  return {
    pushErrorScope: () => {},
    popErrorScope: () => Promise.resolve(oomAt.has(pops++) ? { message: "Out of memory" } : null),
  } as unknown as GPUDevice;
};

const fakeTrainer = (log: string[]): Trainer => ({
  spec,
  step: () => TE.right({ loss: 1, gradNorm: 1 }),
  evalLoss: () => TE.right(1),
  state: () => TE.left({ _tag: "GpuFailure", message: "unused", hint: "" }),
  destroy: () => log.push("destroyed"),
});

describe("the out-of-memory guard", () => {
  it("turns an out-of-memory error while the trainer is made into one line naming the plan, and frees the trainer", async () => {
    const log: string[] = [];
    const r = await guardOutOfMemory(fakeDevice(new Set([0])), TE.right(fakeTrainer(log)), plan)();
    expect(E.isLeft(r) && r.left.message).toMatch(
      /ran out of memory allocating the weights and optimizer state; the plan: /,
    );
    expect(log).toEqual(["destroyed"]);
  });
  it("watches only the first step of each shape, and reports which shape ran out", async () => {
    const t = await guardOutOfMemory(fakeDevice(new Set([2])), TE.right(fakeTrainer([])), plan)();
    if (E.isLeft(t)) throw new Error(t.left.message);
    expect(E.isRight(await t.right.step([], 4, 256, {} as never)())).toBe(true); // pop 1
    expect(E.isRight(await t.right.step([], 4, 256, {} as never)())).toBe(true); // no scope: seen
    const e = await t.right.evalLoss({} as never, 2, 256)(); // pop 2: out of memory
    expect(E.isLeft(e) && e.left.message).toMatch(/allocating the activations of a 2×256 batch/);
  });
});
