import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { loadSafetensors, saveSafetensors } from "../../adapters/formats/safetensors.ts";
import { loadDirTensors, saveDirTensors } from "../../adapters/formats/safetensors_index.ts";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../../core/codecs/half.ts";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import { freshDir, right } from "../../test/tmp.ts";

/**
 * Reference narrowing by value: search the two neighbours among the target's magnitudes (bit patterns
 * 0..inf, where the infinity pattern stands for the next power of two, as IEEE rounding treats it),
 * the nearest wins, a tie goes to the even pattern.
 */
const nearestBy = (x: number, decode: (h: number) => number, inf: number): number => {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0, a = Math.abs(x);
  if (a >= decode(inf)) return sign | inf;
  let lo = 0, hi = inf;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (decode(mid) <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - decode(lo), dHi = decode(hi) - a;
  return sign | (dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi);
};
const f16Value = (h: number) => (h >> 10 === 0 ? h * 2 ** -24 : (1 + (h & 0x3ff) / 1024) * 2 ** ((h >> 10) - 15)); // 0x7c00 → 65536
const bf16Value = (h: number) => (h === 0x7f80 ? 2 ** 128 : bf16ToF32(h));
const refF16 = (x: number) => nearestBy(Math.fround(x), f16Value, 0x7c00);
const refBf16 = (x: number) => nearestBy(Math.fround(x), bf16Value, 0x7f80);

const arbF32 = fc.float({ noNaN: true });

describe("16-bit floats", () => {
  test.prop([arbF32])("for any f32, f32ToF16 picks the nearest binary16, ties to even, overflow to infinity", (x) => {
    expect(f32ToF16(x)).toBe(refF16(x));
  });
  test.prop([arbF32])("for any f32, f32ToBf16 picks the nearest bfloat16, ties to even", (x) => {
    expect(f32ToBf16(x)).toBe(refBf16(x));
  });
  test.prop([fc.integer({ min: 0, max: 0xffff })])(
    "for any 16-bit pattern that is not NaN, widening then narrowing gives it back",
    (h) => {
      if (!Number.isNaN(f16ToF32(h))) expect(f32ToF16(f16ToF32(h))).toBe(h);
      if (!Number.isNaN(bf16ToF32(h))) expect(f32ToBf16(bf16ToF32(h))).toBe(h);
    },
  );
  test.prop([fc.constantFrom(NaN)])("NaN stays NaN in both formats", (x) => {
    expect(Number.isNaN(f16ToF32(f32ToF16(x)))).toBe(true);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(x)))).toBe(true);
  });
});

const arbTensors = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== "__metadata__"), {
  minLength: 1,
  maxLength: 6,
})
  .chain((names) =>
    fc.tuple(...names.map((name) =>
      fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }).chain((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.float32Array({ minLength: n, maxLength: n, noNaN: true }).map((data) => ({ name, shape, data }));
      })
    ))
  );
const arbDtype = fc.constantFrom<Dtype>("F32", "F16", "BF16");
const expected = (x: Float32Array, d: Dtype) =>
  d === "F32" ? x : x.map((v) => d === "F16" ? f16ToF32(f32ToF16(v)) : bf16ToF32(f32ToBf16(v)));

describe("safetensors write then read", () => {
  const dir = freshDir();
  test.prop([arbTensors, arbDtype, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 })], { numRuns: 40 })(
    "for any tensors, dtype and metadata, one file reads back as the tensors rounded to that dtype, and the metadata verbatim",
    async (tensors, dtype, metadata) => {
      const f = join(dir, "x.safetensors");
      right(await saveSafetensors(f, tensors, dtype, metadata)());
      const r = right(await loadSafetensors(f)());
      expect(r.header.metadata).toEqual(metadata);
      for (const t of tensors) {
        expect(r.tensors.get(t.name)!.shape).toEqual(t.shape);
        expect(r.tensors.get(t.name)!.data).toEqual(expected(t.data, dtype));
      }
    },
  );
  test.prop([arbTensors, arbDtype, fc.integer({ min: 1, max: 64 })], { numRuns: 25 })(
    "for any shard size, a sharded directory with its index reads back the same tensors",
    async (tensors, dtype, maxShard) => {
      const d = freshDir();
      const files = right(await saveDirTensors(d, tensors, dtype, { format: "pt" }, maxShard)());
      const r = right(await loadDirTensors(d)());
      expect(r.files.length).toBe(files.length === 1 ? 1 : files.length - 1);
      for (const t of tensors) expect(r.tensors.get(t.name)!.data).toEqual(expected(t.data, dtype));
    },
  );
});

describe("corrupted safetensors files", () => {
  const dir = freshDir();
  const good = join(dir, "good.safetensors");
  const base = async () => {
    right(
      await saveSafetensors(
        good,
        [{ name: "a", shape: [3, 4], data: new Float32Array(12).fill(1.5) }, {
          name: "b",
          shape: [5],
          data: new Float32Array(5),
        }],
        "F32",
        { k: "v" },
      )(),
    );
    return new Uint8Array(readFileSync(good));
  };
  const arbDamage = fc.oneof(
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => ({
      _tag: "flip" as const,
      flips,
    })),
    fc.nat().map((at) => ({ _tag: "cut" as const, at })),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => ({ _tag: "length" as const, n })),
  );
  test.prop([arbDamage], { numRuns: 150 })(
    "for any byte flips, cut or declared header length, loading returns our error or tensors, never throws, never hangs",
    async (damage) => {
      const b = await base().then((x) => x.slice());
      let bytes: Uint8Array = b;
      if (damage._tag === "flip") { for (const [at, v] of damage.flips) b[at % b.length] = v; }
      if (damage._tag === "cut") bytes = b.subarray(0, damage.at % b.length);
      if (damage._tag === "length") new DataView(b.buffer).setBigUint64(0, damage.n, true);
      const f = join(dir, "bad.safetensors");
      writeFileSync(f, bytes);
      const r = await Promise.race([
        loadSafetensors(f)(),
        new Promise<"hang">((res) => setTimeout(() => res("hang"), 10_000)),
      ]);
      expect(r).not.toBe("hang");
      if (r !== "hang" && E.isLeft(r)) {
        expect(r.left._tag).toBe("BadFile");
        expect(r.left.message).toMatch(/^Cannot read safetensors file /);
      }
    },
  );
});
