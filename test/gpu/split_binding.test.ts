/**
 * A tensor larger than one binding, bound as whole-row views (gpu/engine/split.ts), with an artificially
 * small binding limit so lavapipe's 128 MiB need not be reached.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { bindingViews, createBatch, createTensor, fill, type GpuTensor, upload } from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";
import { unwrap, useGpu } from "./_device.ts";

const gpu = useGpu();

const arbMatrix = fc.record({
  rows: fc.integer({ min: 1, max: 300 }),
  cols: fc.integer({ min: 1, max: 40 }),
  limitBytes: fc.constantFrom(256, 512, 1024, 4096),
});

test.prop([arbMatrix], { numRuns: 15 })(
  "for any (rows × cols) tensor and a binding limit of a few hundred bytes, residual_add over its views writes every element",
  async ({ rows, cols, limitBytes }) => {
    const { device, kernels } = gpu();
    const align = device.limits.minStorageBufferOffsetAlignment;
    const limit = Math.max(limitBytes, cols * 4 * align); // one aligned row group must fit
    const n = rows * cols;
    const a = Float32Array.from({ length: n }, (_, i) => i * 0.5);
    const b = Float32Array.from({ length: n }, (_, i) => 1 - i);
    const [ta, tb, out] = ["a", "b", "out"].map((l) =>
      unwrap(createTensor(device, l, [rows, cols], "f32"))
    ) as GpuTensor<"f32">[] as [GpuTensor<"f32">, GpuTensor<"f32">, GpuTensor<"f32">];
    upload(device, ta, a);
    upload(device, tb, b);
    fill(device, out, NaN);
    const add = unwrap(await kernels.compile(residualAdd)());
    const [va, vb, vo] = [ta, tb, out].map((t) => bindingViews(device, t, cols, limit));
    const batch = createBatch(device, "split add");
    va!.forEach(({ span, view }, i) => {
      expect(span.sizeBytes).toBeLessThanOrEqual(limit);
      batch.dispatch(add, { a: view, b: vb![i]!.view, out: vo![i]!.view }, { n: span.rows * cols });
    });
    const h = batch.read(out);
    const got = unwrap(await batch.submit()()).get(h);
    expect(got).toEqual(a.map((x, i) => x + b[i]!));
    if (n * 4 > limit) expect(va!.length).toBeGreaterThan(1);
  },
);

test("binding a tensor past the device's binding limit throws, naming the tensor and the fix", async () => {
  const { device, kernels } = gpu();
  const add = unwrap(await kernels.compile(residualAdd)());
  const t = unwrap(createTensor(device, "big", [3, 64], "f32"));
  const view = { _kind: "TensorView" as const, tensor: t, offsetBytes: 4, sizeBytes: 256 };
  expect(() => createBatch(device, "bad").dispatch(add, { a: view, b: t, out: t }, { n: 64 })).toThrow(
    /Cannot bind big bytes \[4, 260\).*bindingViews/,
  );
});
