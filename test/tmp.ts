/**
 * Fresh temporary directories for tests that write files.
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const freshDir = (tag = "inheritune-"): string => mkdtempSync(join(tmpdir(), tag));

export const right = <A>(e: { _tag: "Left"; left: { message: string } } | { _tag: "Right"; right: A }): A => {
  if (e._tag === "Left") throw new Error(e.left.message);
  return e.right;
};
