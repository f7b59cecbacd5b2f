/**
 * Command-line arguments: node:util's parseArgs (in Node and Deno) splits the words, then an io-ts
 * codec decodes the resulting record into typed options, so a bad value is rejected with the flag,
 * what it takes, and the valid choices named.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { parseArgs } from "node:util";
import { describeErrors } from "../core/codecs/report.ts";
import { type AppError, appError } from "../core/errors.ts";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly help: string;
  readonly short?: string;
}
export type Flags = Readonly<Record<string, FlagSpec>>;

export interface CommandSpec<A> {
  readonly name: string;
  readonly usage: string; // e.g. "sample <model> [options]"
  readonly summary: string;
  readonly positionals: ReadonlyArray<string>; // names, required unless listed in `optional`
  readonly optional?: ReadonlyArray<string>; // trailing positionals that may be left out
  readonly flags: Flags;
  readonly codec: t.Decoder<unknown, A>; // decodes { ...flags, [positional name]: string }
}

/** A number written on the command line, with k/M suffixes (20k = 20000). */
export const NumberArg = new t.Type<number, string, unknown>(
  "number",
  (u): u is number => typeof u === "number",
  (u, c) => {
    if (typeof u !== "string") return t.failure(u, c);
    const m = /^(-?\d+(?:\.\d+)?(?:e-?\d+)?)([kKmM]?)$/.exec(u.trim());
    return m ? t.success(Number(m[1]) * (m[2] === "" ? 1 : /k/i.test(m[2]!) ? 1e3 : 1e6)) : t.failure(u, c);
  },
  String,
);
export const IntArg = t.refinement(NumberArg, Number.isInteger, "integer");
export const NonNegIntArg = t.refinement(NumberArg, (n) => Number.isInteger(n) && n >= 0, "non-negative integer");
export const PosIntArg = t.refinement(NumberArg, (n) => Number.isInteger(n) && n > 0, "positive integer");

const badArgs = (cmd: CommandSpec<unknown>, why: string): AppError =>
  appError(
    "BadArgs",
    `Cannot run ${cmd.name}: ${why}`,
    `usage: inheritune ${cmd.usage}; flags: ${
      Object.keys(cmd.flags).map((f) => `--${f}`).join(" ")
    }; see inheritune ${cmd.name} --help`,
  );

export const parseCommand = <A>(cmd: CommandSpec<A>, argv: ReadonlyArray<string>): E.Either<AppError, A> => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...cmd.flags }, allowPositionals: true, strict: true });
  } catch (e) {
    return E.left(
      badArgs(
        cmd as CommandSpec<unknown>,
        e instanceof Error ? e.message.split(". To specify")[0]!.split("\n")[0]! : String(e),
      ),
    );
  }
  const { positionals, values } = parsed;
  const least = cmd.positionals.length - (cmd.optional?.length ?? 0);
  if (positionals.length < least || positionals.length > cmd.positionals.length) {
    return E.left(
      badArgs(
        cmd as CommandSpec<unknown>,
        `expected ${
          cmd.positionals.map((p) => `<${p}>`).join(" ") || "no positional arguments"
        }, got ${positionals.length}`,
      ),
    );
  }
  const record = { ...values, ...Object.fromEntries(positionals.map((v, i) => [cmd.positionals[i], v])) };
  return pipe(
    cmd.codec.decode(record),
    E.mapLeft((errs) => badArgs(cmd as CommandSpec<unknown>, describeErrors(errs).replace(/^(\w)/, "--$1"))),
  );
};

export const helpText = (cmd: CommandSpec<unknown>): string => {
  const rows = Object.entries(cmd.flags).map(([k, f]) =>
    `  --${k}${f.type === "string" ? " <value>" : ""}`.padEnd(28) + f.help
  );
  return [`inheritune ${cmd.usage}`, "", cmd.summary, "", "Options:", ...rows, "  --help".padEnd(28) + "this text", ""]
    .join("\n");
};

/** A run directory's latest checkpoint instead of its exported model/ (adapters/train/run_dir.ts). */
export const checkpointFlag = {
  type: "boolean",
  help: "with a run directory (train --out): its latest checkpoint instead of its finished model/",
} as const;

export const backendFlag = { type: "string", help: "webgpu | cpu (default: webgpu when an adapter exists)" } as const;
