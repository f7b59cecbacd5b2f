/**
 * `train --distill-from` in-process on the CPU backend: the inherited stories260K target distils
 * from the full model; weight 0 retraces plain training's metrics exactly and a positive weight
 * changes the training loss; bad distillation flags are one error line and a non-zero exit.
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINY656K_DIR, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir } from "../tmp.ts";
import { withoutTimings } from "../../adapters/train/settings.ts";

const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 200).join("\n\n") + "\n");
  return p;
})();
const train = (...more: string[]) =>
  runCli([
    "train",
    STORIES_BIN,
    "--layers",
    "3",
    "--data",
    excerpt,
    "--out",
    join(freshDir(), "run"),
    "--backend",
    "cpu",
    "--steps",
    "2",
    "--batch",
    "2",
    "--ctx",
    "32",
    "--eval-tokens",
    "512",
    "--json",
    ...more,
  ]);
const metrics = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l));
const oneError = (r: { code: number; err: string }, why: RegExp) => {
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/^error: .*\n---> HINT: .*\n$/);
  expect(r.err.split("\n")[0]).toMatch(why);
};

describe("train --distill-from on the CPU", () => {
  test("distilling from the reference records the teacher; weight 0 gives plain training's metrics exactly, weight 0.5 another training loss", async () => {
    const plain = await train(),
      zero = await train("--distill-from", STORIES_BIN, "--kd-weight", "0"),
      half = await train("--distill-from", STORIES_BIN);
    for (const r of [plain, zero, half]) expect(r.err).toBe("");
    const [p, z, h] = [metrics(plain.out), metrics(zero.out), metrics(half.out)];
    expect(h.at(-1)).toMatchObject({ distill: { from: STORIES_BIN, weight: 0.5, temperature: 2 } });
    expect(p.at(-1).distill).toBeNull();
    const strip = (ms: Array<Record<string, unknown>>) =>
      ms.map(({ seconds: _, out: __, model: ___, distill: ____, memory_plan: _____, ...rest }) => withoutTimings(rest));
    expect(strip(z)).toEqual(strip(p));
    expect(h[1].train_loss).not.toBe(p[1].train_loss);
    expect(h[0].val_loss).toBe(p[0].val_loss); // evaluation stays plain cross-entropy
  });

  test("a teacher with another vocabulary, a weight outside 0..1, a zero temperature, or --kd-weight without a teacher: one error line", async () => {
    oneError(
      await train("--distill-from", TINY656K_DIR),
      /^error: Cannot distil: the teacher .* has a vocabulary of \d+, the trained model 512$/,
    );
    oneError(await train("--distill-from", STORIES_BIN, "--kd-weight", "1.5"), /--kd-weight 1\.5 is outside 0\.\.1/);
    oneError(await train("--distill-from", STORIES_BIN, "--kd-temperature", "0"), /--kd-temperature 0 is not positive/);
    oneError(await train("--kd-weight", "0.3"), /--kd-weight and --kd-temperature need a teacher/);
    oneError(await train("--distill-from", "/no/such/model.bin"), /no\/such\/model\.bin/);
  });
});
