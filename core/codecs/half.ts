/**
 * 16-bit floats as stored in safetensors: IEEE 754 binary16 ("F16") and bfloat16 ("BF16"),
 * as uint16 bit patterns. Widening to f32 is exact; narrowing rounds to nearest, ties to even,
 * overflows to ±infinity and keeps NaN a NaN (quiet), as torch's `.half()` / `.bfloat16()` do.
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits → the exact number. */
export const f16ToF32 = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24; // zero or subnormal
  if (e === 0x1f) return m !== 0 ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
};

/** Round the f32 nearest to x to binary16 bits (x is first rounded to f32, as the stored tensors are). */
export const f32ToF16 = (x: number): number => {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff, mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) { // a binary16 subnormal (or zero): drop 14 − e bits of 1.mant
    if (e < -10) return sign;
    const m = mant | 0x800000, shift = 14 - e;
    const rem = m & ((1 << shift) - 1), half = 1 << (shift - 1);
    const h = m >>> shift;
    return sign | (rem > half || (rem === half && (h & 1) === 1) ? h + 1 : h);
  }
  const h = (e << 10) | (mant >>> 13), rem = mant & 0x1fff;
  return sign | (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1) ? h + 1 : h); // a carry may reach infinity: right
};

/** bfloat16 bits → the number (the top half of an f32). */
export const bf16ToF32 = (h: number): number => {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
};

export const f32ToBf16 = (x: number): number => {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40; // quiet NaN
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 65536) & 0xffff;
};

/** Whole arrays, for tensors. bfloat16 widens by a shift of the bits (the same numbers as bf16ToF32, faster). */
export const widen = (bits: Uint16Array, dtype: "F16" | "BF16"): Float32Array => {
  const out = new Float32Array(bits.length);
  if (dtype === "BF16") {
    const o = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) o[i] = bits[i]! << 16;
    return out;
  }
  for (let i = 0; i < bits.length; i++) out[i] = f16ToF32(bits[i]!);
  return out;
};
export const narrow = (x: Float32Array, dtype: "F16" | "BF16"): Uint16Array => {
  const out = new Uint16Array(x.length), f = dtype === "F16" ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
};

/** Little-endian stored bytes of a tensor (a fresh or aligned buffer) as f32 numbers; F32 bytes are viewed, not copied. */
export const bytesToF32 = (b: Uint8Array, dtype: "F32" | "F16" | "BF16"): Float32Array => {
  const width = dtype === "F32" ? 4 : 2;
  const own = b.byteOffset % width === 0 ? b : b.slice(); // a typed view needs an aligned offset
  if (dtype === "F32") return new Float32Array(own.buffer, own.byteOffset, own.byteLength / 4);
  return widen(new Uint16Array(own.buffer, own.byteOffset, own.byteLength / 2), dtype);
};

/** f32 numbers as the bytes of `dtype` (F32 viewed, not copied; 16-bit types rounded to nearest even). */
export const f32ToBytes = (x: Float32Array, dtype: "F32" | "F16" | "BF16"): Uint8Array =>
  dtype === "F32" ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(narrow(x, dtype).buffer);
