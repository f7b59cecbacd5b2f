/**
 * Kernels against their twins (gpu/engine/twin.ts): fast-check arbitraries built from a record's
 * declared cases, and one case run on the device and compared, output by output, under the
 * record's tolerance. A twin's NaN is an element the kernel must leave alone: the kernel's must
 * be NaN too (the poison it found).
 * @module
 */
import { fc } from "@fast-check/vitest";
import type { AnyKernel } from "../../../gpu/engine/kernel.ts";
import type { AnyTwin, DimValues, HostArray, Inputs, Tolerance } from "../../../gpu/engine/twin.ts";
import type { TestGpu } from "../../../test/gpu/_device.ts";
import { type HostArray as RunArray, runKernelArrays, worstRatio } from "../../../test/gpu/_run_kernel.ts";

export interface TwinCase {
  readonly d: DimValues<string>;
  readonly drawn: Readonly<Record<string, HostArray>>;
}
export type Twinned = AnyKernel & { readonly twin: AnyTwin };

const floats = (n: number, min = -2, max = 2) =>
  fc.float32Array({
    minLength: n,
    maxLength: n,
    min: Math.fround(min),
    max: Math.fround(max),
    noNaN: true,
    noDefaultInfinity: true,
  })
    .map((a) => a.map((v) => (Math.abs(v) < 2 ** -60 ? Math.fround(max / 4) : v))); // no zeros, no subnormals

/** The arbitrary of a twin's cases: dims first, then the drawn arrays built from them (chain, no filters). */
export const arbFor = (k: Twinned): fc.Arbitrary<TwinCase> => {
  const t = k.twin;
  const dims = fc.record(
    Object.fromEntries(
      Object.entries<readonly [number, number]>(t.dims).map(([n, [a, b]]) => [n, fc.integer({ min: a, max: b })]),
    ),
  );
  return dims.chain((d) =>
    fc.record({
      d: fc.constant(d),
      drawn: fc.record(
        Object.fromEntries(
          Object.entries(t.inputs).flatMap(([name, s]): [string, fc.Arbitrary<HostArray>][] =>
            s._tag === "f32" ? [[name, floats(s.length(d), s.min, s.max)]] : s._tag === "i32"
              ? [[
                name,
                fc.array(fc.integer({ min: s.min(d), max: s.max(d) }), {
                  minLength: s.length(d),
                  maxLength: s.length(d),
                }).map((v) => Int32Array.from(v)),
              ]]
              : []
          ),
        ),
      ),
    })
  );
};

const accessor = (arrays: Readonly<Record<string, HostArray>>): Inputs => {
  const get = <A extends HostArray>(name: string, C: new (n: number) => A): A => {
    const v = arrays[name];
    if (!(v instanceof C)) {
      throw new Error(`Cannot read twin input ${name}: it is ${v === undefined ? "missing" : v.constructor.name}`);
    }
    return v;
  };
  return { f32: (n) => get(n, Float32Array), i32: (n) => get(n, Int32Array), has: (n) => arrays[n] !== undefined };
};

/** Every binding as the kernel finds it: drawn and derived inputs, and the poisoned outputs. */
const before = (k: Twinned, c: TwinCase): Record<string, HostArray> => {
  const arrays: Record<string, HostArray> = { ...c.drawn };
  for (const [name, s] of Object.entries(k.twin.inputs)) {
    if (s._tag === "derived") arrays[name] = s.make(c.d, accessor(arrays));
  }
  for (const [name, len] of Object.entries(k.twin.outputs as Record<string, (d: DimValues<string>) => number>)) {
    if (arrays[name] !== undefined) continue;
    const type = k.bindings.find((b) => b.name === name)?.type ?? "f32";
    arrays[name] = type === "u32"
      ? new Uint32Array(len(c.d)).fill(0xffff_ffff)
      : type === "i32"
      ? new Int32Array(len(c.d)).fill(-1)
      : new Float32Array(len(c.d)).fill(NaN);
  }
  return arrays;
};

export interface Verdict {
  readonly output: string;
  readonly ratio: number;
  readonly maxAbs: number;
  readonly message: string;
}

/** Largest error of one output in units of its allowance (≤ 1 passes; NaN against a twin's NaN is no error). */
const judge = (
  tol: Tolerance<string>,
  d: DimValues<string>,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  scale: () => ArrayLike<number>,
): { ratio: number; at: number; maxAbs: number } => {
  const lost = Array.from({ length: want.length }, (_, i) => i).find((i) =>
    Number.isNaN(want[i]!) !== Number.isNaN(got[i]!)
  );
  if (got.length < want.length || lost !== undefined) {
    return { ratio: Infinity, at: lost ?? got.length, maxAbs: Infinity };
  }
  if (tol._tag === "exact") {
    const at = Array.from({ length: want.length }, (_, i) => i).find((i) =>
      !Object.is(got[i], Math.fround(want[i]!)) && !(Number.isNaN(want[i]!))
    );
    return { ratio: at === undefined ? 0 : Infinity, at: at ?? -1, maxAbs: at === undefined ? 0 : Infinity };
  }
  const sc = scale(), live = (i: number) => !Number.isNaN(want[i]!);
  return worstRatio(
    Array.from(got, (g, i) => (live(i) ? g : 0)),
    Array.from(want, (w, i) => (live(i) ? w : 0)),
    sc,
    tol.ulps(d),
  );
};

/** Runs one case and judges every output. */
export const runTwinCase = async (gpu: TestGpu, k: Twinned, c: TwinCase): Promise<Verdict[]> => {
  const t = k.twin, arrays = before(k, c), a = accessor(arrays);
  const names = new Set(k.bindings.map((b) => b.name));
  const lengths = Object.fromEntries(
    Object.entries(t.outputs as Record<string, (d: DimValues<string>) => number>).map(([n, len]) => [n, len(c.d)]),
  );
  const inputs = Object.fromEntries(Object.entries(arrays).filter(([n]) => names.has(n))); // the poisoned outputs too
  const got = await runKernelArrays(gpu, k, inputs as Record<string, RunArray>, lengths, t.uniforms(c.d, a) as never);
  const want = t.run(c.d, a);
  return Object.entries(t.tolerance as Record<string, Tolerance<string>>).map(([output, tol]) => {
    const w = want[output]!, g = got[output]!;
    const r = judge(tol, c.d, g, w, () => (tol._tag === "ulps" ? tol.scale({ d: c.d, a, want: (n) => want[n]! }) : []));
    return {
      output,
      ratio: r.ratio,
      maxAbs: r.maxAbs,
      message: `${k.name} ${output}[${r.at}] = ${g[r.at]}, twin ${w[r.at]}`,
    };
  });
};
