// Runs shell commands at the same time and exits with the first failure's status (0 when all pass).
// Each command's output is held and printed whole when it ends, so two checks never interleave lines.
// `npm run typecheck` runs tsc and `deno check` this way: each uses one core, and they share nothing.
import { spawn } from "node:child_process";

const run = (command) =>
  new Promise((resolve) => {
    const p = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    p.stdout.on("data", (d) => chunks.push([process.stdout, d]));
    p.stderr.on("data", (d) => chunks.push([process.stderr, d]));
    p.on("close", (code, signal) => {
      for (const [stream, d] of chunks) stream.write(d);
      if (code !== 0) process.stderr.write(`error: \`${command}\` exited with ${code ?? signal}\n`);
      resolve(code ?? 1);
    });
  });

const codes = await Promise.all(process.argv.slice(2).map(run));
process.exitCode = codes.find((c) => c !== 0) ?? 0;
