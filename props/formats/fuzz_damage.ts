/**
 * Ways to damage a file, as fast-check arbitraries of functions from good bytes to bad: random byte
 * flips (anywhere, and in the header), cuts, 32- and 64-bit fields overwritten with huge, negative
 * and overflowing values; and, for formats that hold JSON, a value anywhere in the document replaced
 * by a wrong one (a wrong type, a huge or negative number, an unknown dtype) or deleted. A
 * safetensors file's JSON header is damaged this way and written back with its data
 * (`reheader`), so the damage reaches the checks behind the header's length and syntax.
 * @module
 */
import fc from "fast-check";

export type Damage = (b: Uint8Array) => Uint8Array;
type Json = unknown;

const EDGE32 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, 2 ** 16, 65537, 7];
const arbInt32 = fc.oneof(fc.constantFrom(...EDGE32), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const arbU64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 32n, 100_000_001n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

const flipsIn = (lo: number, hi: number) =>
  fc.array(fc.tuple(fc.integer({ min: lo, max: Math.max(lo, hi - 1) }), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 8,
  })
    .map((flips): Damage => (b) => {
      const c = b.slice();
      for (const [i, v] of flips) if (i < c.length) c[i] = v;
      return c;
    });

/** Byte-level damage to a file of `n` bytes whose header is its first `header` bytes. */
export const arbBytesDamage = (n: number, header = 256): fc.Arbitrary<Damage> =>
  fc.oneof(
    flipsIn(0, Math.min(n, header)),
    flipsIn(0, n),
    fc.integer({ min: 0, max: Math.max(0, n - 1) }).map((at): Damage => (b) => b.slice(0, at)),
    fc.tuple(fc.integer({ min: 0, max: Math.max(0, Math.floor(Math.min(n, header) / 4) - 1) }), arbInt32)
      .map(([k, v]): Damage => (b) => {
        const c = b.slice();
        if (4 * k + 4 <= c.length) new DataView(c.buffer).setInt32(4 * k, v, true);
        return c;
      }),
    fc.tuple(fc.integer({ min: 0, max: Math.max(0, Math.floor(Math.min(n, header) / 8) - 1) }), arbU64)
      .map(([k, v]): Damage => (b) => {
        const c = b.slice();
        if (8 * k + 8 <= c.length) new DataView(c.buffer).setBigUint64(8 * k, v, true);
        return c;
      }),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk): Damage => (b) => {
      const c = new Uint8Array(b.length + junk.length);
      c.set(b);
      c.set(junk, b.length);
      return c;
    }),
  );

/** Wrong values: types, huge, negative, fractional and overflowing numbers, dtypes we do not read. */
export const arbWrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    0.5,
    -0.5,
    2 ** 31,
    2 ** 32,
    -(2 ** 31),
    2 ** 53,
    2 ** 64,
    1e308,
    -1e308,
    1e-300,
    "",
    "F64",
    "I64",
    "F8_E4M3",
    "BF16",
    "U8",
    null,
    true,
    [],
    {},
    [2 ** 31, 2 ** 31],
    [-1, 4],
    [0, 2 ** 53],
    [1e9, 1e9, 1e9],
    "model.safetensors",
    "../x",
    "ak42",
  ),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer({ min: -5, max: 2 ** 31 }), { maxLength: 4 }),
);

/** Every path to a value in a JSON document (objects and arrays included), at most `limit`. */
export const jsonPaths = (j: Json, limit = 20_000): ReadonlyArray<ReadonlyArray<string | number>> => {
  const out: Array<ReadonlyArray<string | number>> = [];
  const walk = (x: Json, path: ReadonlyArray<string | number>) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(x)) x.forEach((v, i) => walk(v, [...path, i]));
    else if (typeof x === "object" && x !== null) { for (const [k, v] of Object.entries(x)) walk(v, [...path, k]); }
  };
  walk(j, []);
  return out;
};

/** A copy of `j` with the value at `path` replaced (or deleted, for `undefined`); shared elsewhere. */
export const setAt = (j: Json, path: ReadonlyArray<string | number>, value: Json): Json => {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  if (typeof j !== "object" || j === null) return j; // an earlier damage replaced what the path went through
  const inner = (j as Record<string | number, Json>)[k!];
  if (Array.isArray(j)) {
    return value === undefined && rest.length === 0
      ? j.filter((_, i) => i !== k)
      : j.map((v, i) => (i === k ? setAt(inner, rest, value) : v));
  }
  const copy: Record<string, Json> = { ...(j as Record<string, Json>) };
  if (value === undefined && rest.length === 0) delete copy[k as string];
  else copy[k as string] = setAt(inner, rest, value);
  return copy;
};

/** Structural damage to a JSON document: one to three values replaced or deleted. */
export const arbJsonDamage = (j: Json): fc.Arbitrary<(j: Json) => Json> => {
  const paths = jsonPaths(j);
  const one = fc.tuple(
    fc.integer({ min: 0, max: paths.length - 1 }),
    fc.option(arbWrongValue, { freq: 5, nil: undefined }),
  )
    .map(([i, v]) => (x: Json) => setAt(x, paths[i]!, v));
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((fs) => (x: Json) => fs.reduce((acc, f) => f(acc), x));
};

const utf8 = new TextEncoder(), text = new TextDecoder();

/** Damage to a JSON text file: structural, or byte-level on its text. */
export const arbJsonFileDamage = (bytes: Uint8Array): fc.Arbitrary<Damage> => {
  const j = JSON.parse(text.decode(bytes)) as Json;
  return fc.oneof(
    arbJsonDamage(j).map((f): Damage => () => utf8.encode(JSON.stringify(f(j)))),
    arbBytesDamage(bytes.length, bytes.length),
  );
};

/** A safetensors file with its JSON header replaced by `f` of it (the data kept, the length prefix redone). */
export const reheader = (b: Uint8Array, f: (header: Json) => Json): Uint8Array => {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const json = utf8.encode(JSON.stringify(f(JSON.parse(text.decode(b.subarray(8, 8 + n))))));
  const out = new Uint8Array(8 + json.length + b.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(b.subarray(8 + n), 8 + json.length);
  return out;
};

/** Damage to a safetensors file: bytes anywhere (the header's 8-byte length included), or its JSON header. */
export const arbSafetensorsDamage = (b: Uint8Array): fc.Arbitrary<Damage> => {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(text.decode(b.subarray(8, 8 + n))) as Json;
  return fc.oneof(arbJsonDamage(header).map((f): Damage => (x) => reheader(x, f)), arbBytesDamage(b.length, 8 + n));
};

/** Damage to one of several files (a directory): which file, and how. */
export const arbOneOf = (
  files: ReadonlyArray<readonly [string, fc.Arbitrary<Damage>]>,
): fc.Arbitrary<{ file: string; damage: Damage }> =>
  fc.oneof(...files.map(([file, arb]) => arb.map((damage) => ({ file, damage }))));
