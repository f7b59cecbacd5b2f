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
  [
    ...readFileSync(join(root, file), "utf8").matchAll(
      /(?:import|export)[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    ),
  ]
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
    for (const layer of ["core", "gpu", "adapters"]) {
      for (const f of files(layer)) {
        expect(readFileSync(join(root, f), "utf8"), f).not.toMatch(
          /console\.|process\.exit|Deno\.exit|process\.stdout/,
        );
      }
    }
  });
  test("no file imports itself through others: the import graph has no cycle, type-only imports included", () => {
    expect(findCycles(importGraph(root)).map((c) => c.join(" ↔ "))).toEqual([]);
  });
});

/** STYLE.md: one concern per folder, about 15 source files at its top level, a mod.ts front door. */
describe("the rooms", () => {
  const folders = (
    dir: string,
  ): string[] => [
    dir,
    ...readdirSync(join(root, dir)).map((f) => join(dir, f)).filter((p) => statSync(join(root, p)).isDirectory())
      .flatMap(folders),
  ];
  const sources = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts") && f !== "mod.ts");
  // The runtime shims import their own device file, so neither runtime loads the other's (adapters/devices/mod.ts).
  const notFronted = new Set(["adapters/devices/webgpu_deno.ts", "adapters/devices/webgpu_node.ts"]);

  test("no folder of code or tests holds more than 15 source files at its top level", () => {
    for (const dir of ["core", "gpu", "adapters", "cli", "bench", "props", "test"].flatMap(folders)) {
      expect(sources(dir).length, dir).toBeLessThanOrEqual(15);
    }
  });
  test("every folder of core/, gpu/ and adapters/ has a mod.ts that exports each of its public files", () => {
    for (const dir of ["core", "gpu", "adapters"].flatMap(folders).filter((d) => d.includes("/"))) {
      const mod = readFileSync(join(root, dir, "mod.ts"), "utf8");
      for (const f of sources(dir).filter((f) => !f.startsWith("_") && !notFronted.has(`${dir}/${f}`))) {
        expect(mod, `${dir}/mod.ts exports ./${f}`).toContain(`"./${f}"`);
      }
    }
  });
});
