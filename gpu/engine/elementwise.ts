/**
 * The common kernel shape, generated: one invocation per element (or per row) on a 1-D grid of
 * ⌈count / workgroup⌉ workgroups, its index `gid.x`, and the bounds guard before the body:
 *   let i = gid.x;
 *   if (i >= <count>) { return; }
 *   <body>
 * so a simple kernel is its body and its twin. The count comes twice, as WGSL over `params` for
 * the guard and as JS over the uniforms for the grid, side by side; the property loop
 * (props/gpu/kernels/kernels.test.ts) poisons every output with NaN, so a grid that falls short fails there.
 * @module
 */
import {
  type BindingDecl,
  ceilDiv,
  defineKernel,
  type Defines,
  type Kernel,
  type KernelDef,
  type UniformDecls,
  type UniformValues,
} from "./kernel.ts";
import type { AnyTwin } from "./twin.ts";

export interface ElementwiseDef<
  B extends readonly BindingDecl[],
  U extends UniformDecls,
  D extends Defines,
  X extends string,
> extends Pick<KernelDef<B, U, D, X>, "name" | "twin" | "bindings" | "uniforms" | "defines" | "prelude"> {
  /** Invocations per workgroup; 64 when left out. */
  readonly workgroupSize?: number;
  /** The index's name in the body: "i" (elements) unless given; rowwise makes it "n". */
  readonly index?: string;
  /** How many invocations do work: [WGSL over params, the same count in JS over the uniforms]. */
  readonly count: readonly [wgsl: string, js: (u: UniformValues<U>) => number];
  /** WGSL after the guard; in scope as for any kernel (gpu/engine/kernel.ts), and the index. */
  readonly body: string;
}

/** An element-wise kernel: index `i` unless named. */
export const elementwise = <
  const B extends readonly BindingDecl[],
  const U extends UniformDecls,
  D extends Defines = Record<never, never>,
  X extends string = never,
>(def: ElementwiseDef<B, U, D, X>): Kernel<B, U, D> & { readonly twin: AnyTwin } => {
  const { count: [wgslCount, jsCount], index = "i", body, workgroupSize = 64, ...rest } = def;
  return defineKernel<B, U, D, X>({
    ...rest,
    workgroupSize,
    grid: (u, [wx]) => [ceilDiv(jsCount(u), wx), 1, 1],
    wgsl: `  let ${index} = gid.x;\n  if (${index} >= ${wgslCount}) { return; }\n${body.replace(/^\n+/, "")}`,
  });
};

/** A row-wise kernel: one invocation per row, index `n` unless named. */
export const rowwise = <
  const B extends readonly BindingDecl[],
  const U extends UniformDecls,
  D extends Defines = Record<never, never>,
  X extends string = never,
>(def: ElementwiseDef<B, U, D, X>): Kernel<B, U, D> & { readonly twin: AnyTwin } =>
  elementwise<B, U, D, X>({ index: "n", ...def });
