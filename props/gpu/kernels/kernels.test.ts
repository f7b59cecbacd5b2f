/**
 * The op table's property: for every kernel record (gpu/kernels/mod.ts ALL_KERNELS), on cases
 * drawn as its twin describes them (random shapes and non-zero inputs, outputs poisoned with NaN),
 * every output matches the CPU twin from core/ops within the record's tolerance. The "lanes"
 * builds run where the device has subgroups and the lanes probe says yes at their width (Dawn on lavapipe does at 8,
 * and at 16 with LP_NATIVE_VECTOR_WIDTH=512 on an AVX-512 host);
 * elsewhere they are skipped, never passed quietly on this machine's CI.
 * And the table is the whole of gpu/kernels/: every record there is in it once, each named by its
 * twin's file, which shares the kernel's file stem.
 * KERNEL_REPORT=1 prints each kernel's worst error (as a share of its allowance, and absolute);
 * KERNEL_RUNS and KERNEL_SEED set the cases per kernel and the seed, for a calibration run.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { AnyKernel } from "../../../gpu/engine/kernel.ts";
import { describeTolerance, hasTwin } from "../../../gpu/engine/twin.ts";
import { probeLaneWidth } from "../../../gpu/kernels/lanes_probe.ts";
import { ALL_KERNELS } from "../../../gpu/kernels/mod.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { arbFor, runTwinCase } from "./_twins.ts";

const gpu = useGpu();
/** Cases per kernel; KERNEL_RUNS=200 for a calibration run. */
const RUNS = Number(process.env.KERNEL_RUNS ?? 12);
let laneWidth = 0;
beforeAll(async () => {
  laneWidth = await probeLaneWidth(gpu().kernels);
});
/** A kernel sharing through subgroups runs where the probe holds its workgroup (8, or 16) in one subgroup. */
const runsHere = (k: AnyKernel): boolean =>
  !(k.enables ?? []).includes("subgroups") || laneWidth >= (typeof k.workgroupSize === "number" ? k.workgroupSize : 8);

const worst: Record<string, { ratio: number; maxAbs: number; cases: number }> = {};
afterAll(() => {
  if (!process.env.KERNEL_REPORT) return;
  for (const [k, v] of Object.entries(worst)) {
    console.log(
      `${k}: worst ${(100 * v.ratio).toFixed(1)}% of allowance, max abs error ${
        v.maxAbs.toExponential(2)
      } over ${v.cases} cases`,
    );
  }
});

describe("every kernel against its CPU twin, on lavapipe", () => {
  for (const k of ALL_KERNELS) {
    test.prop([arbFor(k)], {
      numRuns: RUNS,
      ...(process.env.KERNEL_SEED ? { seed: Number(process.env.KERNEL_SEED) } : {}),
    })(`${k.name} matches its CPU twin (${k.twin.of}): ${describeTolerance(k.twin.tolerance)}`, async (c) => {
      if (!runsHere(k)) return; // needs the lanes probe's yes at its width
      for (const v of await runTwinCase(gpu(), k, c)) {
        const key = `${k.name} ${v.output}`, prev = worst[key] ?? { ratio: 0, maxAbs: 0, cases: 0 };
        worst[key] = {
          ratio: Math.max(prev.ratio, v.ratio),
          maxAbs: Math.max(prev.maxAbs, v.maxAbs),
          cases: prev.cases + 1,
        };
        expect(v.ratio, v.message).toBeLessThanOrEqual(1);
      }
    });
  }
});

const root = new URL("../../..", import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(root, p)).isDirectory()
      ? files(p)
      : p.endsWith(".ts") && !f.startsWith("_") && f !== "mod.ts"
      ? [p]
      : [];
  });
/** The twin files a kernel file may name: its own stem; the fast linear kernels, the scalar ones' twins. */
const twinStems = (file: string): string[] =>
  /\/matmul_(vec4|lanes|tiled|strided)\.ts$/.test(file)
    ? ["matmul", "matmul_backward"]
    : [file.replace(/^.*\//, "").replace(/\.ts$/, "")];
const isKernel = (v: unknown): v is AnyKernel => (v as AnyKernel | undefined)?._kind === "Kernel";

describe("the op table", () => {
  const name = "holds every kernel record of gpu/kernels/, once each, with a twin in core/ops/<its stem>.ts";
  test(name, async () => {
    const found = await Promise.all(
      files("gpu/kernels").map(async (f) => {
        const m = (await import(join(root, f))) as Record<string, unknown>;
        return Object.values(m).filter(isKernel).map((k) => ({ f, k }));
      }),
    );
    const records = found.flat();
    expect(records.map((r) => r.k.name).sort()).toEqual(ALL_KERNELS.map((k) => k.name).sort());
    expect(new Set(ALL_KERNELS.map((k) => k.name)).size).toBe(ALL_KERNELS.length);
    for (const { f, k } of records) {
      const of = hasTwin(k.twin) ? k.twin.of : `none (${k.twin.none})`,
        stem = /^core\/ops\/(?:\w+\/)?(\w+)\.ts /.exec(of)?.[1];
      expect(twinStems(f), `${k.name} (${f}) names its twin "${of}"`).toContain(stem);
    }
  });
});
