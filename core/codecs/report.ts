/**
 * io-ts validation errors as one readable line: "field: expected T, got V", or for a key held to one
 * value, "field V is not supported (only T)".
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
    const last = e.context[e.context.length - 1]?.type, expected = last?.name ?? "a value";
    // A key held to one value (rope_scaling null, attention_bias false): the value given is a feature we lack
    const only = /^(Literal|Null)Type$/.test((last as { _tag?: string } | undefined)?._tag ?? "");
    return only && e.value !== undefined
      ? `${path || "value"} ${show(e.value)} is not supported (only ${expected})`
      : `${path || "value"}: expected ${expected}, got ${show(e.value)}`;
  }).join("; ");
