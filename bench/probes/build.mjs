// Bundles one probe of bench/probes/ into dist/probe.mjs (Dawn stays external), as bench/build.mjs does the bench:
//   node bench/probes/build.mjs bench/probes/matmul_shapes.ts && node dist/probe.mjs
import { build } from "esbuild";

const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write(
    "error: Cannot bundle a probe: none named\n---> HINT: node bench/probes/build.mjs bench/probes/<probe>.ts\n",
  );
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile: "dist/probe.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["webgpu", "@tensorflow/*"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
