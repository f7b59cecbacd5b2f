/**
 * A kernel's CPU twin as data, a field of its record (gpu/engine/kernel.ts): the op from core/ops
 * it is checked against, the cases it is checked on, and how close it must come. The cases are
 * described, not generated (gpu/ does not import fast-check): props/gpu/kernels/kernels.test.ts builds the
 * arbitraries from the description and runs every record of gpu/kernels/mod.ts ALL_KERNELS so:
 *   dims drawn from their ranges → uniforms and array lengths from the dims → random arrays drawn,
 *   derived ones computed in order → the kernel run, its outputs poisoned with NaN first → each
 *   output against the twin's answer, within its tolerance.
 * The twin sees every binding as the kernel does before the run: inputs as drawn or derived,
 * outputs that are not inputs as the NaN poison (so an element the kernel must leave alone is NaN
 * in the twin's answer too).
 * Tolerance: exact (the bits, NaN matching NaN), or ulps(d) · max(u · scale[i], 2^−126) per element,
 * u = 2^−24, where scale is the magnitude of the terms the element is built from and ulps grows
 * with the length of the f32 reduction behind it (Higham's γ_n = n·u for a sum of n terms); the
 * floor is there because WGSL lets a device flush subnormals to zero (lavapipe does).
 * @module
 */
export type DimValues<X extends string> = { readonly [K in X]: number };
export type HostArray = Float32Array | Int32Array | Uint32Array;

/** A case's arrays by name; each accessor throws when the name is missing or has another type. */
export interface Inputs {
  f32(name: string): Float32Array;
  i32(name: string): Int32Array;
  has(name: string): boolean;
}

/**
 * How one input array is made. Drawn f32 values lie in [min, max] (default ±2) with no zeros and no subnormals
 * (|v| < 2^−60 becomes max / 4), so relative error bounds stay meaningful; drawn i32 values lie in
 * [min(d), max(d)]; a derived array is computed from the dims and the arrays made before it.
 * Written as object literals in the record (a generic helper would cut the dims' inference).
 */
export type InputSpec<X extends string> =
  | { readonly _tag: "f32"; length(d: DimValues<X>): number; readonly min?: number; readonly max?: number }
  | {
    readonly _tag: "i32";
    length(d: DimValues<X>): number;
    min(d: DimValues<X>): number;
    max(d: DimValues<X>): number;
  }
  | { readonly _tag: "derived"; make(d: DimValues<X>, a: Inputs): HostArray };

/** What a scale function sees: the dims, the arrays, and the twin's answers by output name. */
export interface TwinCase<X extends string> {
  readonly d: DimValues<X>;
  readonly a: Inputs;
  want(name: string): ArrayLike<number>;
}

export type Tolerance<X extends string> =
  | { readonly _tag: "exact" }
  | {
    readonly _tag: "ulps";
    /** The allowance in words, for the property's name: "(I + 4) ulps of Σ|x·w| + |b| + |res|". */
    readonly text: string;
    ulps(d: DimValues<X>): number;
    scale(c: TwinCase<X>): ArrayLike<number>;
  };

/** N: the kernel's binding names; UV: its uniform values; X: the case's dimension names (inferred from dims alone). */
export interface Twin<N extends string, UV, X extends string> {
  /** Where the math lives: "core/ops/matmul/matmul.ts linear". */
  readonly of: string;
  /** Inclusive integer ranges of the case's dimensions (flags are dims in [0, 1]). */
  readonly dims: { readonly [K in X]: readonly [number, number] };
  /** From the dims, and from the arrays where a uniform counts something in them (distinct tokens). */
  uniforms(d: DimValues<NoInfer<X>>, a: Inputs): UV;
  /** Arrays by name, made in this order; one named as a binding is uploaded to it. */
  readonly inputs: Readonly<Record<string, InputSpec<NoInfer<X>>>>;
  /** The bindings read back and compared, with their lengths (an output that is no input is poisoned). */
  readonly outputs: { readonly [K in N]?: (d: DimValues<NoInfer<X>>) => number };
  /** The twin: every output's expected contents after the run, from the ops in core/ops. */
  run(d: DimValues<NoInfer<X>>, a: Inputs): Readonly<Record<string, ArrayLike<number>>>;
  readonly tolerance: Readonly<Record<string, Tolerance<NoInfer<X>>>>;
}

/** A record that has no twin, and why: only test fixtures and benchmarks; ALL_KERNELS admits none. */
export interface NoTwin {
  readonly none: string;
}

// deno-lint-ignore no-explicit-any -- any kernel's twin, whatever its uniforms and dims
export type AnyTwin = Twin<string, any, any>;

export const hasTwin = (t: AnyTwin | NoTwin): t is AnyTwin => !("none" in t);

export const exact = { _tag: "exact" } as const;

/** The tolerance in words, for a property's name. */
export const describeTolerance = (t: Readonly<Record<string, Tolerance<string>>>): string =>
  Object.entries(t).map(([k, v]) => `${k} ${v._tag === "exact" ? "exactly" : `within ${v.text}`}`).join(", ");

/** The values as float64, so a twin's ops compute in float64 and round nowhere. */
export const wide = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

/** |v| elementwise, in float64. */
export const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

/** n NaNs: an array as the property loop poisons it (for a derived binding that starts poisoned). */
export const poison = (n: number): Float32Array => new Float32Array(n).fill(NaN);

/** A binding after a kernel that writes some elements: `before`, with value(i) wherever it is defined. */
export const overwrite = (before: ArrayLike<number>, value: (i: number) => number | undefined): Float64Array =>
  Float64Array.from(before, (b, i) => value(i) ?? b);
