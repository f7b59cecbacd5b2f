// Bundles the bench (bench/node.ts) into dist/bench.mjs; Dawn and tfjs stay external (native addon, wasm files).
import { build } from "esbuild";

/** The bench's esbuild options for `entry` into `outfile` (bench/probes/build.mjs bundles a probe with them). */
export const benchBundle = (entry, outfile) => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["webgpu", "@tensorflow/*"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});

if (import.meta.url === `file://${process.argv[1]}`) await build(benchBundle("bench/node.ts", "dist/bench.mjs"));
// The tokenizer worker (dist/tokenize_worker.mjs) comes from scripts/build.mjs, which `npm run bench` runs first.
