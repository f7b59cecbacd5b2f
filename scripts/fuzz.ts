/**
 * The long fuzz: every format of props/formats/fuzz_formats.ts with as many cases as asked (default 20,000
 * each), a fresh seed each run unless one is given; prints each format's count of values and
 * refusals, and the seed and counterexample of any failure. Runs under Deno, which reads the
 * TypeScript directly: `npm run fuzz -- 50000 [seed]`.
 * @module
 */
import fc from "fast-check";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { checkLoad } from "../props/formats/fuzz_check.ts";
import { fuzzFormats } from "../props/formats/fuzz_formats.ts";

// @huggingface/tokenizers warns on the console about damaged parts it then rejects; the verdict is the error value.
console.warn = console.error = () => undefined;
const [cases = 20_000, seed = Date.now() % 2 ** 31] = process.argv.slice(2).map(Number);
const formats = await fuzzFormats(mkdtempSync(join(tmpdir(), "inheritune-fuzz-")));
let failed = 0;
for (const f of formats) {
  const tally = { loaded: 0, refused: 0 }, t0 = performance.now();
  const r = await fc.check(fc.asyncProperty(f.arb, async (d) => void tally[await checkLoad(() => f.load(d))]++), {
    numRuns: cases,
    seed,
  });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${
      r.failed ? "FAIL" : "ok  "
    } ${f.name}: ${r.numRuns} cases, ${tally.loaded} loaded, ${tally.refused} refused (${s} s)`,
  );
  if (r.failed) failed++, console.log(`     seed ${seed}, path ${r.counterexamplePath}: ${String(r.errorInstance)}`);
}
process.exit(failed > 0 ? 1 : 0);
