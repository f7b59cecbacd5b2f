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
// The tokenizer worker (dist/tokenize_worker.mjs) comes from scripts/build.mjs, which `npm run bench` runs first.
