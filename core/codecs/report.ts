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
    const path = e.context.map((c) => c.key).filter((k) => k !== "").join(".");
    const expected = e.context[e.context.length - 1]?.type.name ?? "a value";
    return `${path || "value"}: expected ${expected}, got ${show(e.value)}`;
  }).join("; ");
