// Bundles the Node CLI (cli/node.ts) into dist/inheritune.mjs with esbuild.
// `webgpu` stays external: it loads Dawn's native addon (dawn.node) from its own package.
import { build } from "esbuild";
import { chmod } from "node:fs/promises";

const outfile = "dist/inheritune.mjs";
await build({
  entryPoints: ["cli/node.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["webgpu"],
  banner: {
    js:
      "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  sourcemap: "linked",
  logLevel: "warning",
});
await chmod(outfile, 0o755);
