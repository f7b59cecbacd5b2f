import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { findCycles, importGraph } from "../../scripts/cycles.ts";

/** Imports flow one way: cli → adapters → gpu → core (STYLE.md, "Layout and direction"); bench/ sits between cli and adapters. */
const root = new URL("../..", import.meta.url).pathname;
const layers = ["core", "gpu", "adapters", "bench", "cli"] as const;
const files = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(root, p)).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
const importsOf = (file: string): string[] =>
  [...readFileSync(join(root, file), "utf8").matchAll(/(?:import|export)[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)]
    .map((m) => m[1] ?? m[2]!);
const layerOf = (file: string) => layers.findIndex((l) => file.startsWith(`${l}/`));

describe("the import arrow", () => {
  for (const layer of layers) {
    test(`${layer}/ imports nothing from a layer above it, nor props/ or test/`, () => {
      for (const f of files(layer)) {
        for (const spec of importsOf(f).filter((s) => s.startsWith("."))) {
          const target = relative(root, join(root, f, "..", spec));
          expect(layerOf(target), `${f} imports ${spec}`).toBeGreaterThanOrEqual(0);
          expect(layerOf(target), `${f} imports ${spec}`).toBeLessThanOrEqual(layerOf(f));
        }
      }
    });
  }
  test("core/ imports only fp-ts, io-ts and itself, and never mentions a runtime or the GPU", () => {
    for (const f of files("core")) {
      for (const spec of importsOf(f)) expect(spec, f).toMatch(/^(\.|fp-ts\/|io-ts$)/);
      expect(readFileSync(join(root, f), "utf8"), f).not.toMatch(/\b(Deno|process|navigator|GPUDevice|GPUBuffer)\b/);
    }
  });
  test("gpu/ imports only fp-ts and itself or core/, and never looks for a device or a runtime", () => {
    for (const f of files("gpu")) {
      for (const spec of importsOf(f)) expect(spec, f).toMatch(/^(\.|fp-ts\/)/);
      expect(readFileSync(join(root, f), "utf8"), f).not.toMatch(/\bnavigator\b|\bprocess\.|\bDeno\.|requestAdapter/);
    }
  });
  test("only cli/ prints or exits", () => {
    for (const layer of ["core", "gpu", "adapters"])
      for (const f of files(layer)) expect(readFileSync(join(root, f), "utf8"), f).not.toMatch(/console\.|process\.exit|Deno\.exit|process\.stdout/);
  });
  test("no file imports itself through others: the import graph has no cycle, type-only imports included", () => {
    expect(findCycles(importGraph(root)).map((c) => c.join(" ↔ "))).toEqual([]);
  });
});
