/**
 * io-ts validation errors as one readable line: "field: expected T, got V".
 * @module
 */
import type * as t from "io-ts";

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

export const describeErrors = (errors: t.Errors): string =>
  errors.slice(0, 3).map((e) => {
    // Keys under an intersection or union are member indices ("0", "1"), not fields: skip them.
    const path = e.context
      .filter((c, i) =>
        c.key !== "" &&
        !/^(Intersection|Union)Type$/.test((e.context[i - 1]?.type as { _tag?: string } | undefined)?._tag ?? "")
      )
      .map((c) => c.key).join(".");
    const expected = e.context[e.context.length - 1]?.type.name ?? "a value";
    return `${path || "value"}: expected ${expected}, got ${show(e.value)}`;
  }).join("; ");
