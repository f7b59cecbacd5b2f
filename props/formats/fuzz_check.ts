/**
 * The check every fuzz case must pass: the load settles within a bound, to a value or to an AppError
 * whose message starts "Cannot "; a throw fails the case with the exception. Memory held in array
 * buffers afterwards stays small, so no declared huge size was allocated and kept.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { AppError } from "../../core/errors.ts";

export const BOUND_MS = 10_000;
const MAX_BUFFERS = 512 << 20;

export const checkLoad = async (load: () => Promise<E.Either<AppError, unknown>>): Promise<"loaded" | "refused"> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((res) => {
    timer = setTimeout(() => res("hang"), BOUND_MS);
  });
  const r = await Promise.race([load(), hang]).finally(() => clearTimeout(timer));
  if (r === "hang") throw new Error(`the load did not settle within ${BOUND_MS} ms`);
  const held = process.memoryUsage().arrayBuffers;
  if (held > MAX_BUFFERS) throw new Error(`array buffers hold ${held} bytes after the load`);
  if (E.isRight(r)) return "loaded";
  if (!/^Cannot /.test(r.left.message)) throw new Error(`the error "${r.left.message}" is not one of ours`);
  if (typeof r.left.hint !== "string" || r.left.hint === "") {
    throw new Error(`the error "${r.left.message}" has no hint`);
  }
  return "refused";
};
