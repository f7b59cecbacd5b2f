/**
 * Compiling kernels: the cache, variants, and WGSL the compiler rejects.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { expect, test } from "vitest";
import { createBatch, createTensor, defineFixture, defineKernel, upload } from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";
import { unwrap, useGpu } from "./_device.ts";

const gpu = useGpu();

const broken = defineFixture({
  name: "test_broken",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: {},
  workgroupSize: 1,
  grid: () => [1, 1, 1],
  wgsl: "  out[0] = undefined_thing;",
}, "a fixture the compiler must reject");

test("a shader the compiler rejects is a Left that names the kernel, the variant and the bad line", async () => {
  const r = await gpu().kernels.compile(broken)();
  expect(E.isLeft(r) && r.left.kind).toBe("KernelRejected");
  if (E.isLeft(r)) {
    expect(r.left.message).toMatch(
      /^Cannot compile kernel test_broken\[default\]: .*undefined_thing.*line \d+: `out\[0\] = undefined_thing;`/s,
    );
  }
});

test("an unknown variant is a Left listing the known ones", async () => {
  const r = await gpu().kernels.compile(residualAdd, "nvidia")();
  expect(r).toEqual(E.left(expect.objectContaining({ kind: "UnknownVariant", hint: "use one of: default" })));
});

test("compiling the same kernel and variant twice gives the one cached pipeline", async () => {
  const { kernels } = gpu();
  const [a, b] = await Promise.all([kernels.compile(residualAdd)(), kernels.compile(residualAdd)()]);
  expect(unwrap(a).pipeline).toBe(unwrap(b).pipeline);
});

test("two kernel records under one name are refused", async () => {
  const twin = defineKernel({ ...residualAdd });
  await expect(gpu().kernels.compile(twin)()).rejects.toThrow(/two different kernel records share the name/);
});

test("a binding the body never touches still binds (explicit layout, not 'auto')", async () => {
  const r = await gpu().kernels.compile(
    defineKernel({
      ...residualAdd,
      name: "test_ignores_b",
      wgsl: "  if (gid.x < params.n) { out[gid.x] = a[gid.x]; }",
    }),
  )();
  expect(unwrap(r).layout).toBeDefined();
});

const quad = defineFixture({
  name: "test_vec4_double",
  bindings: [{ name: "a", access: "read", type: "vec4<f32>" }, {
    name: "out",
    access: "read_write",
    type: "vec4<f32>",
  }],
  uniforms: { n4: "u32" },
  workgroupSize: 8,
  grid: ({ n4 }, [wx]) => [Math.ceil(n4 / wx), 1, 1],
  wgsl: "  if (gid.x < params.n4) { out[gid.x] = 2.0 * a[gid.x]; }",
}, "a fixture of vec4 bindings");

test("a vec4<f32> binding takes an f32 tensor four elements at a time, and refuses a size that is not whole vec4s", async () => {
  const { device, kernels } = gpu();
  const k = unwrap(await kernels.compile(quad)());
  const [a, out, odd] = [[8], [8], [6]].map((shape, i) => unwrap(createTensor(device, `v${i}`, shape, "f32")));
  upload(device, a!, Float32Array.from({ length: 8 }, (_, i) => i));
  const batch = createBatch(device, "vec4");
  batch.dispatch(k, { a: a!, out: out! }, { n4: 2 });
  const h = batch.read(out!);
  expect(Array.from(unwrap(await batch.submit()()).get(h))).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  expect(() => createBatch(device, "odd").dispatch(k, { a: odd!, out: out! }, { n4: 1 })).toThrow(
    /as vec4<f32>: size and offset must be multiples of 16 bytes/,
  );
  [a, out, odd].forEach((t) => t!.buffer.destroy());
});
