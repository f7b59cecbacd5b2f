// Runs a Node entry point (the CLI bundle) with the given arguments and, as the process exits, writes its
// peak resident memory in bytes to file descriptor 3, for bench/scale.ts to read (no /usr/bin/time needed).
// On Linux the peak is /proc/self/status's VmHWM, the high-water mark of this program's own memory:
// getrusage's maxRSS (process.resourceUsage) survives exec, so a child spawned by a bench that already
// holds 185 MiB reported at least that much whatever it ran. Elsewhere maxRSS is the portable fallback.
import { readFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

const peakBytes = () => {
  try {
    const kb = /^VmHWM:\s*(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // no /proc: not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
};

process.on("exit", () => {
  try {
    writeSync(3, String(peakBytes()));
  } catch {
    // no fd 3: run by hand
  }
});
const [entry, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], entry, ...rest];
await import(pathToFileURL(entry).href);
