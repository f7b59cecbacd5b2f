// Runs a Node entry point (the CLI bundle) with the given arguments and, as the process exits, writes its
// peak resident memory in bytes to file descriptor 3, for bench/scale.ts to read: a child's own
// process.resourceUsage() is the one portable way to get it (no /usr/bin/time needed).
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

process.on("exit", () => {
  try {
    writeSync(3, String(process.resourceUsage().maxRSS * 1024));
  } catch {
    // no fd 3: run by hand
  }
});
const [entry, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], entry, ...rest];
await import(pathToFileURL(entry).href);
