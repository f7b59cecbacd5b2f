/**
 * Elementwise kernels on lavapipe against plain JS twins: any size, including sizes that are not
 * a multiple of the workgroup and grids over 65535 workgroups. Outputs are poisoned with NaN
 * first, so an element the kernel never wrote fails the comparison.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  type AnyKernel,
  createBatch,
  createTensor,
  defineFixture,
  defineKernel,
  fill,
  type GpuTensor,
  readTensors,
  upload,
} from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";
import { unwrap, useGpu } from "./_device.ts";
import { blockSum, blockSumTwin, mul } from "./_kernels.ts";

const gpu = useGpu();

const f32s = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i * 12.9898) * 43758.5453) % 7);

const tensor = (label: string, n: number): GpuTensor<"f32"> => unwrap(createTensor(gpu().device, label, [n], "f32"));

/** Runs out = kernel(a, b) once, output poisoned with NaN, and reads it back. */
const runBinary = async (
  kernel: AnyKernel,
  variant: string,
  a: Float32Array,
  b: Float32Array,
): Promise<Float32Array> => {
  const { device, kernels } = gpu();
  const [ta, tb, out] = [tensor("a", a.length), tensor("b", b.length), tensor("out", a.length)];
  upload(device, ta, a);
  upload(device, tb, b);
  fill(device, out, NaN);
  const k = unwrap(await kernels.compile(kernel, variant)());
  const batch = createBatch(device, `${kernel.name} test`);
  batch.dispatch(k, { a: ta, b: tb, out }, { n: a.length });
  const h = batch.read(out);
  const r = unwrap(await batch.submit()());
  [ta, tb, out].forEach((t) => t.buffer.destroy());
  return r.get(h);
};

/** Bit-exact comparison that stays fast at millions of elements and names the first bad index. */
const expectSame = (actual: Float32Array, expected: Float32Array): void => {
  expect(actual.length).toBe(expected.length);
  const bad = expected.findIndex((x, i) => !Object.is(x, actual[i]));
  expect(bad === -1 ? "all equal" : `out[${bad}] = ${actual[bad]}, twin ${expected[bad]}`).toBe("all equal");
};

const arbPair = (min: number, max: number) =>
  fc.integer({ min, max }).chain((n) =>
    fc.tuple(fc.constant(n), fc.integer()).map(([n, s]) => ({ a: f32s(n, s), b: f32s(n, s + 1) }))
  );

describe("residual_add on lavapipe", () => {
  test.prop([arbPair(1, 3000)], { numRuns: 25 })(
    "for any n, out[i] = a[i] + b[i] exactly, every element written",
    async ({ a, b }) => {
      const out = await runBinary(residualAdd, "default", a, b);
      expectSame(out, a.map((x, i) => x + b[i]!));
    },
  );

  test("over 64·65535 + 3 elements (a grid of 65536 workgroups, folded into y), every element is written", async () => {
    const n = 64 * 65535 + 3;
    const [a, b] = [f32s(n, 1), f32s(n, 2)];
    const out = await runBinary(residualAdd, "default", a, b);
    expectSame(out, a.map((x, i) => x + b[i]!));
  });
});

describe("the NaN poison", () => {
  test("catches a kernel that forgets its last element", async () => {
    const lazy = defineKernel({
      ...residualAdd,
      name: "test_add_skips_last",
      wgsl: "  if (gid.x + 1u < params.n) { out[gid.x] = a[gid.x] + b[gid.x]; }",
    });
    const out = await runBinary(lazy, "default", f32s(100, 1), f32s(100, 2));
    expect(Number.isNaN(out[99])).toBe(true);
    expect(Number.isNaN(out[98])).toBe(false);
  });
});

describe("a kernel with variants", () => {
  test.prop([arbPair(65536, 140_000)], { numRuns: 4 })(
    "for any n over 65535 with one invocation per workgroup, the folded grid writes out[i] = a[i] * b[i] everywhere",
    async ({ a, b }) => {
      const out = await runBinary(mul, "tiny", a, b);
      expectSame(out, a.map((x, i) => Math.fround(x * b[i]!)));
    },
  );

  test.prop([arbPair(1, 2000)], { numRuns: 10 })(
    "its default and tiny variants agree bit for bit",
    async ({ a, b }) => {
      expectSame(await runBinary(mul, "default", a, b), await runBinary(mul, "tiny", a, b));
    },
  );
});

describe("a workgroup reduction", () => {
  test.prop([fc.integer({ min: 1, max: 5000 }), fc.constantFrom("default", "small")], { numRuns: 10 })(
    "for any n, block sums follow the fixed pairwise tree of the twin bit for bit, in both variants",
    async (n, variant) => {
      const { device, kernels } = gpu();
      const k = unwrap(await kernels.compile(blockSum, variant)());
      const x = f32s(n, n);
      const [inp, out] = [tensor("inp", n), tensor("sums", Math.ceil(n / k.workgroupSize[0]))];
      upload(device, inp, x);
      fill(device, out, NaN);
      const batch = createBatch(device, "sum").dispatch(k, { inp, out }, { n });
      const h = batch.read(out);
      expectSame(unwrap(await batch.submit()()).get(h), blockSumTwin(x, k.workgroupSize[0]));
    },
  );
});

describe("a batch", () => {
  test.prop([arbPair(1, 5000)], { numRuns: 10 })(
    "for any n, add then multiply then add, recorded in one batch, is one submit and matches the twin",
    async ({ a, b }) => {
      const { device, kernels } = gpu();
      const [add, times] = [unwrap(await kernels.compile(residualAdd)()), unwrap(await kernels.compile(mul)())];
      const n = a.length;
      const [ta, tb, t1, t2, t3] = ["a", "b", "t1", "t2", "t3"].map((l) => tensor(l, n)) as [
        GpuTensor<"f32">,
        GpuTensor<"f32">,
        GpuTensor<"f32">,
        GpuTensor<"f32">,
        GpuTensor<"f32">,
      ];
      upload(device, ta, a);
      upload(device, tb, b);
      [t1, t2, t3].forEach((t) => fill(device, t, NaN));
      const submit = device.queue.submit.bind(device.queue);
      let submits = 0;
      device.queue.submit = (cbs) => {
        submits++;
        return submit(cbs);
      };
      const batch = createBatch(device, "chain")
        .dispatch(add, { a: ta, b: tb, out: t1 }, { n })
        .dispatch(times, { a: t1, b: tb, out: t2 }, { n })
        .dispatch(add, { a: t2, b: ta, out: t3 }, { n });
      const h = batch.read(t3);
      const out = unwrap(await batch.submit()()).get(h);
      device.queue.submit = submit;
      expect(submits).toBe(1);
      expectSame(out, a.map((x, i) => Math.fround(Math.fround(Math.fround(x + b[i]!) * b[i]!) + x)));
    },
  );

  test("passes u32, i32 and f32 uniforms through unchanged", async () => {
    const { device, kernels } = gpu();
    const echo = defineFixture({
      name: "test_echo_uniforms",
      bindings: [{ name: "f", access: "read_write" }, { name: "i", access: "read_write", type: "i32" }, {
        name: "u",
        access: "read_write",
        type: "u32",
      }],
      uniforms: { big: "u32", neg: "i32", x: "f32" },
      workgroupSize: 1,
      grid: () => [1, 1, 1],
      wgsl: "  f[0] = params.x; i[0] = params.neg; u[0] = params.big; u[1] = params._grid_x;",
    }, "a fixture of the uniform packing");
    const [f, i, u] = [
      tensor("f", 1),
      unwrap(createTensor(device, "i", [1], "i32")),
      unwrap(createTensor(device, "u", [2], "u32")),
    ];
    const b = createBatch(device, "echo").dispatch(unwrap(await kernels.compile(echo)()), { f, i, u }, {
      big: 0xffff_fffe,
      neg: -123456,
      x: Math.fround(-1.25e-7),
    });
    const r = unwrap(await b.submit()());
    const [rf, ri, ru] = unwrap(await readTensors(device, [f, i, u])());
    expect(r).toBeDefined();
    expect([...rf, ...ri, ...ru]).toEqual([Math.fround(-1.25e-7), -123456, 0xffff_fffe, 1]);
  });
});
