/**
 * The ModelSpec codec (core/model/spec.ts) as checkpoints use it: for any spec, its JSON decodes
 * back to the same spec, and a spec missing a field its family needs does not decode.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { expect } from "vitest";
import { ModelSpec, RotaryFeatures } from "../../../core/model/spec.ts";
import { arbHeadSizedSpec } from "../arbitraries.ts";

const optional = new Set(["headSize", ...Object.keys(RotaryFeatures.type.props)]); // absent: Llama 2's choice
const fieldOf = (s: ModelSpec) => fc.constantFrom(...Object.keys(s).filter((k) => !optional.has(k)));

test.prop([arbHeadSizedSpec])(
  "for any spec, its JSON decodes back to the same spec (headSize only when given)",
  (spec) => {
    const back = ModelSpec.decode(JSON.parse(JSON.stringify(spec)));
    expect(back).toEqual(E.right(spec));
  },
);

test.prop([arbHeadSizedSpec.chain((s) => fieldOf(s).map((k) => ({ s, k })))])(
  "a spec without one of its required fields does not decode",
  ({ s, k }) => {
    const { [k as keyof ModelSpec]: _, ...rest } = s;
    expect(E.isLeft(ModelSpec.decode(rest))).toBe(true);
  },
);
