/**
 * A memo keyed by a span s[a, b) of a string, without slicing it: an open-addressing table whose
 * hash is computed over the span's code units and whose keys are compared code unit by code unit.
 * On the hot path of the encoders (one lookup per piece), this saves the slice, the hash of a fresh
 * string and the garbage. Holds at most `limit` entries; when full it starts again (the values
 * never depend on it).
 * @module
 */

export class SpanMemo<V> {
  private keys: Array<string | undefined>;
  private vals: Array<V | undefined>;
  private size = 0;
  private lastHash = 0;
  private readonly mask: number;
  constructor(private readonly limit = 1 << 18) {
    const slots = 1 << Math.ceil(Math.log2(limit * 2));
    this.mask = slots - 1;
    this.keys = new Array<string | undefined>(slots);
    this.vals = new Array<V | undefined>(slots);
  }
  private static hash(s: string, a: number, b: number): number {
    let h = 0x811c9dc5 ^ (b - a);
    for (let i = a; i < b; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }
  /** The value of s[a, b), if memoized (remembers the hash for a `set` of the same span). */
  get(s: string, a: number, b: number): V | undefined {
    const n = b - a;
    for (let i = (this.lastHash = SpanMemo.hash(s, a, b)) & this.mask;; i = (i + 1) & this.mask) {
      const k = this.keys[i];
      if (k === undefined) return undefined;
      if (k.length !== n) continue;
      let j = 0;
      while (j < n && k.charCodeAt(j) === s.charCodeAt(a + j)) j++;
      if (j === n) return this.vals[i];
    }
  }
  /** Memoize s[a, b) (call right after a `get` of the same span that missed). */
  set(s: string, a: number, b: number, v: V): void {
    if (this.size >= this.limit) {
      this.keys = new Array<string | undefined>(this.mask + 1);
      this.vals = new Array<V | undefined>(this.mask + 1);
      this.size = 0;
    }
    let i = this.lastHash & this.mask;
    while (this.keys[i] !== undefined) i = (i + 1) & this.mask;
    this.keys[i] = s.slice(a, b);
    this.vals[i] = v;
    this.size++;
  }
}
