// Bundles the bench (bench/node.ts) into dist/bench.mjs; Dawn and tfjs stay external (native addon, wasm files).
import { build } from "esbuild";

await build({
  entryPoints: ["bench/node.ts"],
  outfile: "dist/bench.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["webgpu", "@tensorflow/*"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
// The tokenizer worker thread that bench/tokenize.ts starts (adapters/data/doc_encoder.ts looks beside the bundle).
await build({
  entryPoints: ["adapters/data/_tokenize_worker.ts"],
  outfile: "dist/tokenize_worker.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
