// Bundles one probe of bench/probes/ into dist/probe.mjs (Dawn stays external), as bench/build.mjs does the bench:
//   node bench/probes/build.mjs bench/probes/matmul_shapes.ts && node dist/probe.mjs
import { build } from "esbuild";
import { benchBundle } from "../build.mjs";

const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write(
    "error: Cannot bundle a probe: none named\n---> HINT: node bench/probes/build.mjs bench/probes/<probe>.ts\n",
  );
  process.exit(2);
}
await build(benchBundle(entry, "dist/probe.mjs"));
