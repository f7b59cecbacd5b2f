/**
 * The inheritune program, shared by the Node and Deno shims: pick the command, decode its
 * arguments, run it, and fold the result once into an exit code and at most one error line + hint.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { AppError } from "../core/errors.ts";
import { type CommandSpec, helpText, parseCommand } from "./args.ts";
import { inheritCommand, runInherit } from "./commands/inherit.ts";
import { inspectCommand, runInspect } from "./commands/inspect.ts";
import { runSample, sampleCommand } from "./commands/sample.ts";
import { analyzeCommand, runAnalyze } from "./commands/analyze.ts";
import { compareCommand, runCompare } from "./commands/compare.ts";
import { growCommand, runGrow } from "./commands/grow.ts";
import { runTokenize, tokenizeCommand } from "./commands/tokenize.ts";
import { runTrain, trainCommand } from "./commands/train.ts";
import { evalCommand, runEval } from "./commands/eval.ts";
import { benchCommand, runBenchCommand } from "./commands/bench.ts";
import { doctorCommand, runDoctorCommand } from "./commands/doctor.ts";
import type { Io } from "./io.ts";

interface Command {
  readonly spec: CommandSpec<unknown>;
  readonly run: (args: never, io: Io) => Promise<E.Either<AppError, void>>;
}

const commands: ReadonlyArray<Command> = [
  { spec: sampleCommand as CommandSpec<unknown>, run: runSample },
  { spec: inspectCommand as CommandSpec<unknown>, run: runInspect },
  { spec: inheritCommand as CommandSpec<unknown>, run: runInherit },
  { spec: tokenizeCommand as CommandSpec<unknown>, run: runTokenize },
  { spec: trainCommand as CommandSpec<unknown>, run: runTrain },
  { spec: evalCommand as CommandSpec<unknown>, run: runEval },
  { spec: benchCommand as CommandSpec<unknown>, run: runBenchCommand },
  { spec: compareCommand as CommandSpec<unknown>, run: runCompare },
  { spec: growCommand as CommandSpec<unknown>, run: runGrow },
  { spec: analyzeCommand as CommandSpec<unknown>, run: runAnalyze },
  { spec: doctorCommand as CommandSpec<unknown>, run: runDoctorCommand },
];

const overview = (): string =>
  [
    "inheritune: small base language models from the first blocks of a large one (Sanyal et al. 2024)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.spec.name.padEnd(10)}${c.spec.summary}`),
    "",
    "inheritune <command> --help for its options",
    "",
  ].join("\n");

const report = (io: Io, e: AppError): number => {
  io.err(`error: ${e.message}\n---> HINT: ${e.hint}\n`);
  return e._tag === "BadArgs" ? 2 : 1;
};

export const main = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(overview());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.spec.name === name);
  if (cmd === undefined) {
    return report(io, {
      _tag: "BadArgs",
      message: `Cannot run "${name}": no such command`,
      hint: `commands: ${commands.map((c) => c.spec.name).join(", ")}`,
    });
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(helpText(cmd.spec));
    return 0;
  }
  const args = parseCommand(cmd.spec, rest);
  if (E.isLeft(args)) return report(io, args.left);
  try {
    const result = await cmd.run(args.right as never, io);
    return E.isLeft(result) ? report(io, result.left) : 0;
  } catch (e) {
    // A broken invariant: still one line, but say it is ours.
    io.err(
      `error: internal failure in ${name}: ${
        e instanceof Error ? e.message : String(e)
      }\n---> HINT: this is a bug in inheritune; please report it with the command you ran\n`,
    );
    return 70;
  }
};
