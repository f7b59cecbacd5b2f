/**
 * vitest globalSetup of the tiers that run the Node bundle (core's tokenizer-worker test, all of e2e):
 * esbuild writes dist/inheritune.mjs and dist/tokenize_worker.mjs once, before any file of the tier runs,
 * so every file (and `npx vitest run <one file>`) runs the bundle of the sources as they are now, built
 * once a tier instead of once a file. A failed build fails the run with esbuild's message.
 * @module
 */
import { buildNodeCli } from "./runtimes.ts";

export default async (): Promise<void> => {
  const b = await buildNodeCli();
  if (b.code !== 0) throw new Error(`Cannot build the Node bundle (scripts/build.mjs, exit ${b.code}):\n${b.stderr}`);
};
