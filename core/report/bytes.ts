/**
 * Byte counts as people read them, one convention for every table and error line (binary units:
 * GiB, MiB, KiB, as device limits and `free` give them).
 * @module
 */

/** The largest unit that keeps the number at least 1: "11.63 GiB", "387.0 MiB", "1.0 KiB". */
export const bytesText = (n: number): string =>
  n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(2)} GiB`
    : n >= 2 ** 20
    ? `${(n / 2 ** 20).toFixed(1)} MiB`
    : `${(n / 1024).toFixed(1)} KiB`;

/** Always MiB, for columns and limits that line up: "128 MiB". */
export const mibText = (n: number, digits = 0): string => `${(n / 2 ** 20).toFixed(digits)} MiB`;
