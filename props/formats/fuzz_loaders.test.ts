/**
 * Fuzzed loaders: for any damage to any file format the tool reads (props/formats/fuzz_formats.ts), loading
 * gives a value or our own error ("Cannot …"), never an uncaught exception, never a hang past a
 * bound, and never holds memory the size a damaged header declares. 1,000 cases per format here;
 * `npm run fuzz -- <cases>` runs more (scripts/fuzz.ts).
 * @module
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, test, vi } from "vitest";
import { freshDir } from "../../test/tmp.ts";
import { fuzzFormats } from "./fuzz_formats.ts";
import { checkLoad } from "./fuzz_check.ts";

const CASES = 1000;
// @huggingface/tokenizers warns on the console about damaged parts it then rejects; the verdict is the error value.
vi.spyOn(console, "warn").mockImplementation(() => undefined);
vi.spyOn(console, "error").mockImplementation(() => undefined);
const formats = await fuzzFormats(freshDir("inheritune-fuzz-"));

describe("damaged files: our error or a value, never a throw, a hang or a huge allocation", () => {
  for (const f of formats) {
    test(`for any damage to a ${f.name}, loading it answers within the bound with a value or "Cannot …" (${CASES} cases)`, async () => {
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(f.arb, async (d) => {
          const r = await checkLoad(() => f.load(d));
          if (r === "refused") refused++;
        }),
        { numRuns: CASES, seed: 20240411 },
      );
      expect(refused).toBeGreaterThan(CASES / 4); // the damage mostly lands (a no-op damage would prove nothing)
    });
  }
});
