import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { loadModel } from "../../adapters/formats/models.ts";
import { STORIES_Q80, TINY656K_DIR } from "../../test/assets.ts";
import { freshDir } from "../../test/tmp.ts";

const q80 = new Uint8Array(readFileSync(STORIES_Q80));
const arbDamage = (n: number) =>
  fc.oneof(
    fc.array(fc.tuple(fc.integer({ min: 0, max: Math.min(n - 1, 4095) }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    })
      .map((flips) => (b: Uint8Array) => {
        const c = b.slice();
        for (const [i, v] of flips) c[i] = v;
        return c;
      }),
    fc.integer({ min: 0, max: n - 1 }).map((at) => (b: Uint8Array) => b.slice(0, at)),
    fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
      .map(([k, v]) => (b: Uint8Array) => {
        const c = b.slice();
        new DataView(c.buffer).setInt32(4 * k, v, true);
        return c;
      }),
  );
const settles = <A>(p: Promise<A>) =>
  Promise.race([p, new Promise<"hang">((res) => setTimeout(() => res("hang"), 10_000))]);

describe("corrupted model files: our error or a model, never a throw, never a hang", () => {
  const dir = freshDir();
  test.prop([arbDamage(q80.length)], { numRuns: 60 })(
    "for any damage to a llama2.c v2 file (flipped header bytes, cuts, huge sizes)",
    async (damage) => {
      const f = join(dir, "q.bin");
      writeFileSync(f, damage(q80));
      const r = await settles(loadModel(f)());
      expect(r).not.toBe("hang");
      if (r !== "hang" && E.isLeft(r)) expect(r.left.message).toMatch(/^Cannot /);
    },
  );
  const st = new Uint8Array(readFileSync(join(TINY656K_DIR, "model.safetensors")));
  const cfg = readFileSync(join(TINY656K_DIR, "config.json"));
  test.prop([arbDamage(st.length)], { numRuns: 60 })(
    "for any damage to tinystories656K's model.safetensors, loading its directory",
    async (damage) => {
      const d = freshDir();
      writeFileSync(join(d, "config.json"), cfg);
      writeFileSync(join(d, "model.safetensors"), damage(st));
      const r = await settles(loadModel(d)());
      expect(r).not.toBe("hang");
      if (r !== "hang" && E.isLeft(r)) expect(r.left.message).toMatch(/^Cannot /);
    },
  );
});
