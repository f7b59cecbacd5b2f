/**
 * A progress line on stderr for long operations (training, evaluating): step, tokens, loss,
 * tokens/s and ETA, redrawn in place. Shown only when stdout is a terminal; `--json` runs and
 * pipes stay quiet.
 * @module
 */
import type { Io } from "./io.ts";

const clock = (s: number): string => {
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
};

export const progressLine = (io: Io, label: string, total: number) => {
  const start = io.now();
  let shown = false;
  return {
    update(done: number, extra: string): void {
      if (!io.isTTY) return;
      const f = Math.min(1, done / Math.max(1, total)), w = 24, el = (io.now() - start) / 1000;
      const eta = f > 0 ? clock((el / f) * (1 - f)) : "?";
      io.err(`\r${label} [${"#".repeat(Math.round(f * w)).padEnd(w, ".")}] ${done}/${total} ${extra} ETA ${eta}   `);
      shown = true;
    },
    end(): void {
      if (shown) io.err("\r\x1b[K");
    },
  };
};
