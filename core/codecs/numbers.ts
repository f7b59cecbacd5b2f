/**
 * Branded numbers, checked once at the edge (io-ts).
 * @module
 */
import * as t from "io-ts";

export interface PositiveIntBrand {
  readonly PositiveInt: unique symbol;
}
export const PositiveInt = t.brand(t.Int, (n): n is t.Branded<t.Int, PositiveIntBrand> => n > 0, "PositiveInt");
export type PositiveInt = t.TypeOf<typeof PositiveInt>;

export interface PositiveNumberBrand {
  readonly PositiveNumber: unique symbol;
}
export const PositiveNumber = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveNumberBrand> => Number.isFinite(n) && n > 0,
  "PositiveNumber",
);
