// Bundles the Node CLI (cli/node.ts) into dist/inheritune.mjs, and its tokenizer worker, with esbuild.
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
// The tokenizer worker thread's own entry (adapters/data/doc_encoder.ts looks for it beside the CLI).
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
