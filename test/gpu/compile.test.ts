/**
 * Compiling kernels: the cache, variants, and WGSL the compiler rejects.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { expect, test } from "vitest";
import { defineKernel } from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";
import { unwrap, useGpu } from "./_device.ts";

const gpu = useGpu();

const broken = defineKernel({
  name: "test_broken",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: {},
  workgroupSize: 1,
  grid: () => [1, 1, 1],
  wgsl: "  out[0] = undefined_thing;",
});

test("a shader the compiler rejects is a Left that names the kernel, the variant and the bad line", async () => {
  const r = await gpu().kernels.compile(broken)();
  expect(E.isLeft(r) && r.left.kind).toBe("KernelRejected");
  if (E.isLeft(r)) expect(r.left.message).toMatch(/^Cannot compile kernel test_broken\[default\]: .*undefined_thing.*line \d+: `out\[0\] = undefined_thing;`/s);
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
  const r = await gpu().kernels.compile(defineKernel({ ...residualAdd, name: "test_ignores_b", wgsl: "  if (gid.x < params.n) { out[gid.x] = a[gid.x]; }" }))();
  expect(unwrap(r).layout).toBeDefined();
});
