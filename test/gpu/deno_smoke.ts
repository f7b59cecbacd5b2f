/**
 * Deno smoke: a device from navigator.gpu (wgpu), the test kernels compiled by naga, results
 * checked against the JS twins. Throws (exit code 1) on any mismatch or Left.
 * Run: node_modules/deno/deno run -A test/gpu/deno_smoke.ts
 * Uses no Deno globals, so tsc checks it along with the rest of test/.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { getDenoDevice } from "../../adapters/devices/webgpu_deno.ts";
import { describeAdapter } from "../../adapters/devices/webgpu_info.ts";
import { createBatch, createKernelCache, createTensor, fill, type GpuTensor, upload } from "../../gpu/mod.ts";
import { residualAdd } from "../../gpu/kernels/residual_add.ts";
import { blockSum, blockSumTwin, mul } from "./_kernels.ts";

const unwrap = <A>(r: E.Either<{ readonly message: string; readonly hint: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(`${r.left.message}\n---> HINT: ${r.left.hint}`);
  return r.right;
};

const same = (what: string, got: Float32Array, want: Float32Array): void => {
  const bad = want.findIndex((x, i) => !Object.is(x, got[i]));
  if (got.length !== want.length || bad !== -1) {
    throw new Error(`${what}: out[${bad}] = ${got[bad]}, twin ${want[bad]}`);
  }
  console.log(`ok ${what}`);
};

const gpu = unwrap(await getDenoDevice()());
try {
  const { device } = gpu;
  console.log(describeAdapter(gpu.info));
  const kernels = createKernelCache(device);
  const n = 70_001; // with mul[tiny]: 70001 workgroups, folded into y
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
  const t = (label: string, len: number): GpuTensor<"f32"> => unwrap(createTensor(device, label, [len], "f32"));
  const [a, b, sum, prod, sums] = [t("a", n), t("b", n), t("sum", n), t("prod", n), t("sums", Math.ceil(n / 64))];
  upload(device, a, x);
  upload(device, b, y);
  [sum, prod, sums].forEach((o) => fill(device, o, NaN));
  const [add, times, reduce] = [
    unwrap(await kernels.compile(residualAdd)()),
    unwrap(await kernels.compile(mul, "tiny")()),
    unwrap(await kernels.compile(blockSum)()),
  ];
  const batch = createBatch(device, "deno smoke")
    .dispatch(add, { a, b, out: sum }, { n })
    .dispatch(times, { a, b, out: prod }, { n })
    .dispatch(reduce, { inp: sum, out: sums }, { n });
  const [hs, hp, hr] = [batch.read(sum), batch.read(prod), batch.read(sums)];
  const r = unwrap(await batch.submit()());
  const twinSum = x.map((v, i) => v + y[i]!);
  same("residual_add", r.get(hs), twinSum);
  same("test_mul[tiny] over a folded grid", r.get(hp), x.map((v, i) => v * y[i]!));
  same("test_block_sum", r.get(hr), blockSumTwin(twinSum, 64));
  const rejected = await kernels.compile({ ...residualAdd, name: "smoke_broken", wgsl: "  out[0] = nope;" })();
  if (!E.isLeft(rejected) || !/smoke_broken/.test(rejected.left.message)) {
    throw new Error("a bad shader was not a Left");
  }
  console.log(`ok naga rejects bad WGSL as a Left: ${rejected.left.message.split("\n")[0]}`);
} finally {
  gpu.release();
}
