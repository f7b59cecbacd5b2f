/**
 * A compute kernel as a typed record: its storage bindings, its uniform scalars, its compile-time
 * defines and their named variants, its workgroup size, its grid, and the WGSL body of `main`.
 * The WGSL declarations, the uniform struct and the entry header are generated from the record
 * (gpu/engine/wgsl.ts), so the shader and the host code that binds it cannot drift apart.
 *
 * Shapes travel as uniforms, never as WGSL constants, so one compiled pipeline serves every size.
 * Defines are for choices that change the code (tile sizes, lavapipe vs GPU paths).
 * Every record names its CPU twin (gpu/engine/twin.ts), so one property loop checks them all.
 * @module
 */
import type { AnyTwin, NoTwin, Twin } from "./twin.ts";

/** Scalar types a uniform may have. All are 4 bytes, so the uniform struct has no padding. */
export type ScalarType = "u32" | "i32" | "f32";
/**
 * Element types of a storage binding, `array<T>`. `vec4<f32>` binds an f32 tensor four elements
 * at a time (one 16-byte load): the binding's size and offset must be multiples of 16 bytes.
 */
export type ElementType = "f32" | "u32" | "i32" | "vec4<f32>";

/** The tensor dtype an element type binds. */
export const dtypeOfElement = (t: ElementType): "f32" | "u32" | "i32" => (t === "vec4<f32>" ? "f32" : t);
export type Access = "read" | "read_write";

export interface BindingDecl {
  readonly name: string;
  readonly access: Access;
  /** Element type of the `array<T>`; f32 when left out. */
  readonly type?: ElementType;
}

export type Vec3 = readonly [number, number, number];
/** WGSL extensions a kernel may enable; each is also the name of the GPUFeature it needs. */
export type WgslExtension = "subgroups";
/** Compile-time constants, emitted as `const NAME = value;` (abstract numbers or bool). */
export type Defines = Readonly<Record<string, number | boolean>>;
export type UniformDecls = Readonly<Record<string, ScalarType>>;
/** Uniform values for a declaration record: every declared name gets a number. */
export type UniformValues<U extends UniformDecls> = { readonly [K in keyof U]: number };
export type BindingNames<B extends readonly BindingDecl[]> = B[number]["name"];

/** A record's code and shape: everything but its twin. */
export interface KernelBase<B extends readonly BindingDecl[], U extends UniformDecls, D extends Defines> {
  /** snake_case, unique per program; it keys the pipeline cache and labels every resource. */
  readonly name: string;
  readonly bindings: B;
  readonly uniforms: U;
  /** Default values of the defines; a variant overrides some of them. */
  readonly defines?: D;
  readonly variants?: Readonly<Record<string, { readonly [K in keyof D]?: D[K] extends number ? number : boolean }>>;
  readonly workgroupSize: number | Vec3 | ((defines: D) => number | Vec3);
  /** Logical workgroup counts. May exceed 65535 per dimension: the toolkit folds them (gpu/engine/grid.ts). */
  readonly grid: (uniforms: UniformValues<U>, workgroupSize: Vec3, defines: D) => Vec3;
  /**
   * WGSL extensions the body uses (`enable subgroups;`). A device must have the feature turned on
   * (adapters/devices/webgpu_device.ts asks for it) and the caller must check it before compiling.
   */
  readonly enables?: readonly WgslExtension[];
  /** Module-scope WGSL: helper functions, `var<workgroup>` arrays. */
  readonly prelude?: string;
  /**
   * The body of `main`. In scope: `params` (the uniforms), `gid` (logical global invocation id),
   * `wg` (logical workgroup id), `lid`, `lidx` (local id and index), `wg_linear` (linear
   * logical workgroup index), the bindings by name, and the defines. A function of the defines
   * generates the body per variant (loops over a define unrolled in the text: naga, Deno's
   * compiler, leaves arrays indexed in nested loops in memory on lavapipe).
   */
  readonly wgsl: string | ((defines: D) => string);
}

export interface KernelDef<
  B extends readonly BindingDecl[],
  U extends UniformDecls,
  D extends Defines,
  X extends string = string,
> extends KernelBase<B, U, D> {
  /**
   * The CPU twin it is checked against, with its cases and tolerance (gpu/engine/twin.ts).
   * Required: a record without one does not typecheck (a test fixture says why it has none: defineFixture).
   */
  readonly twin: Twin<BindingNames<B>, UniformValues<U>, X>;
}

export type Kernel<
  B extends readonly BindingDecl[] = readonly BindingDecl[],
  U extends UniformDecls = UniformDecls,
  D extends Defines = Defines,
> = KernelBase<B, U, D> & { readonly twin: AnyTwin | NoTwin; readonly _kind: "Kernel" };

// deno-lint-ignore no-explicit-any -- any kernel, whatever its uniform and define records
export type AnyKernel = Kernel<readonly BindingDecl[], any, any>;

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Declares a kernel with its twin. Throws on a malformed record (a programming error, found at import). */
export const defineKernel = <
  const B extends readonly BindingDecl[],
  const U extends UniformDecls,
  D extends Defines = Record<never, never>,
  X extends string = never,
>(def: KernelDef<B, U, D, X>): Kernel<B, U, D> & { readonly twin: AnyTwin } => {
  checkNames(def);
  return Object.freeze({ ...def, _kind: "Kernel" as const });
};

/** A record with no twin, and why: a test fixture of the toolkit or a benchmark, never an op (ALL_KERNELS refuses it). */
export const defineFixture = <
  const B extends readonly BindingDecl[],
  const U extends UniformDecls,
  D extends Defines = Record<never, never>,
>(
  def: KernelBase<B, U, D>,
  why: string,
): Kernel<B, U, D> => {
  checkNames(def);
  return Object.freeze({ ...def, twin: { none: why }, _kind: "Kernel" as const });
};

// deno-lint-ignore no-explicit-any -- only the names matter here
const checkNames = (def: KernelBase<readonly BindingDecl[], any, any>): void => {
  const names = [...def.bindings.map((b) => b.name), ...Object.keys(def.uniforms), ...Object.keys(def.defines ?? {})];
  const bad = names.find((n) => !IDENT.test(n));
  if (!IDENT.test(def.name) || bad !== undefined) {
    throw new Error(`Cannot define kernel "${def.name}": "${bad ?? def.name}" is not a plain WGSL identifier`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i || RESERVED.has(n));
  if (dup !== undefined) throw new Error(`Cannot define kernel "${def.name}": name "${dup}" is used twice or reserved`);
};

/** Names the generated code uses; a binding, uniform or define may not take them. */
export const RESERVED: ReadonlySet<string> = new Set([
  "params",
  "Params",
  "main",
  "gid",
  "wg",
  "lid",
  "lidx",
  "wg_linear",
  "wg_linear_index",
  "_grid_x",
  "_grid_y",
  "_grid_z",
]);

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** The defines a variant compiles with: the defaults, overridden by the variant's values. */
export const resolveDefines = (kernel: AnyKernel, variant: string): Defines | undefined => {
  if (variant === "default") return kernel.defines ?? {};
  const over = kernel.variants?.[variant];
  return over === undefined ? undefined : { ...(kernel.defines ?? {}), ...over };
};

export const workgroupSizeOf = (kernel: AnyKernel, defines: Defines): Vec3 => {
  const ws = typeof kernel.workgroupSize === "function" ? kernel.workgroupSize(defines) : kernel.workgroupSize;
  return typeof ws === "number" ? [ws, 1, 1] : ws;
};
