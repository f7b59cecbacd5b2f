/**
 * `bench --scale-models a,b` (bench/scale.ts scaleModelsArg): which models of the real-size bench run. Known names
 * are kept in the order given, each once; an unknown or empty list is one error naming what was wrong and listing
 * every known name, before any device or file is touched.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, test } from "vitest";
import { SCALE_MODEL_NAMES, scaleModelsArg } from "../../bench/scale.ts";

describe("bench --scale-models", () => {
  test("takes known names in the order given, each once, spaces around commas ignored", () => {
    expect(scaleModelsArg("gpt2-355m, gpt2-124m,gpt2-355m")).toEqual(E.right(["gpt2-355m", "gpt2-124m"]));
    expect(scaleModelsArg(SCALE_MODEL_NAMES.join(","))).toEqual(E.right(SCALE_MODEL_NAMES));
  });

  test("an unknown name is one error naming it, whose hint lists every known model", () => {
    const r = scaleModelsArg("gpt2-124m,gpt5,llama");
    if (E.isRight(r)) throw new Error("an unknown name was accepted");
    expect(r.left.message).toMatch(
      /^Cannot run the scale bench of --scale-models "gpt2-124m,gpt5,llama": .*gpt5, llama$/,
    );
    for (const name of SCALE_MODEL_NAMES) expect(r.left.hint).toContain(name);
  });

  test("an empty list is an error too", () => {
    expect(E.isLeft(scaleModelsArg(" , "))).toBe(true);
    expect(E.isLeft(scaleModelsArg(""))).toBe(true);
  });
});
