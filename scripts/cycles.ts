/**
 * The import graph of the project's TypeScript and its cycles (STYLE.md: "No import cycles, even
 * inside a folder"). Reads relative `import … from`, `export … from` and `import("…")` specifiers,
 * type-only ones included: a cycle of types is still two files that cannot be read apart.
 * Run as a script (npm run lint, under Deno), it prints each cycle and exits 1 when there is one;
 * test/core/layering.test.ts asks the same of it.
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SKIP = new Set(["node_modules", "dist", "runs", ".git"]);
const IMPORT = /(?:import|export)[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every .ts file under root, as paths relative to it. */
export const sourceFiles = (root: string, dir = "."): string[] =>
  readdirSync(join(root, dir)).flatMap((f) => {
    if (SKIP.has(f) || f.startsWith(".")) return [];
    const p = normalize(join(dir, f));
    return statSync(join(root, p)).isDirectory() ? sourceFiles(root, p) : p.endsWith(".ts") ? [p] : [];
  });

/** file → the project files it imports (relative specifiers only). */
export const importGraph = (root: string): Map<string, string[]> => {
  const files = sourceFiles(root), known = new Set(files);
  return new Map(files.map((f) => {
    const text = readFileSync(join(root, f), "utf8");
    const specs = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]!).filter((s) => s.startsWith("."));
    return [f, [...new Set(specs.map((s) => normalize(join(dirname(f), s))).filter((t) => known.has(t)))]];
  }));
};

/** The cycles of a graph, one per strongly connected component of more than one file (Tarjan 1972). */
export const findCycles = (graph: ReadonlyMap<string, readonly string[]>): string[][] => {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [];
  const onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next), low.set(v, next++), stack.push(v), onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!;; w = stack.pop()!) {
      onStack.delete(w), scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
};

if ((import.meta as { main?: boolean }).main) { // Deno: run as the script, not imported
  const root = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), "..")) || ".";
  const graph = importGraph(root), cycles = findCycles(graph);
  for (const c of cycles) console.error(`import cycle: ${c.join(" ↔ ")}`);
  console.log(`${graph.size} files, ${cycles.length} import cycles`);
  process.exit(cycles.length === 0 ? 0 : 1);
}
