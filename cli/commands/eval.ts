/**
 * `inheritune eval <model> --data <corpus>`: mean next-token loss and perplexity of a model on the
 * validation split of a corpus (the last 10% of tokens of a text corpus, or a `tokenize` output's
 * recorded split), scored as `train` scores it: consecutive windows of --ctx tokens (core/train/batches.ts).
 * `inheritune eval <model> --tasks arc_easy,piqa,…` (or `--task-file F --task-type mc|partial|completion`):
 * zero-shot downstream accuracy as lm-evaluation-harness 0.4 scores it (core/eval, adapters/eval),
 * a table or, with --json, {"model", "results": {task: {acc, acc_stderr, …, n}}, "seconds"}.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { evalStarts } from "../../core/train/batches.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { contextLimit } from "../../core/model/spec.ts";
import { backendFlag, checkpointFlag, type CommandSpec, PosIntArg } from "../args.ts";
import { BackendArg, evaluatorFactory, withBackend } from "../../adapters/devices/backend.ts";
import { devicesOf, type Io } from "../io.ts";
import { loadModelAndData, scoreModel } from "../run_setup.ts";
import { runTasks, TaskArgs, taskFlags, wantsTasks } from "./eval_tasks.ts";

const EvalArgs = t.intersection([
  t.type({ model: t.string }),
  TaskArgs,
  t.partial({
    data: t.string,
    tokens: PosIntArg,
    ctx: PosIntArg,
    batch: PosIntArg,
    tokenizer: t.string,
    backend: BackendArg,
    json: t.boolean,
    checkpoint: t.boolean,
  }),
]);
type EvalArgs = t.TypeOf<typeof EvalArgs>;

export const evalCommand: CommandSpec<EvalArgs> = {
  name: "eval",
  usage:
    "eval <model> (--data <corpus> [--tokens N] [--ctx T] | --tasks t1,t2,… | --task-file F.jsonl --task-type mc|partial|completion) [--limit N] [--batch B] [--log-samples DIR] [--tokenizer F] [--backend webgpu|cpu] [--checkpoint] [--json]",
  summary:
    "Mean loss and perplexity on a corpus's validation split, or zero-shot accuracy on downstream tasks as lm-evaluation-harness scores it.",
  positionals: ["model"],
  flags: {
    data: { type: "string", help: "corpus, as for train: its validation loss and perplexity" },
    ...taskFlags,
    tokens: { type: "string", help: "score at most about N tokens (default: the whole validation split)" },
    ctx: { type: "string", help: "tokens per window (default 256, at most the model's context), as train's --ctx" },
    batch: {
      type: "string",
      help: "windows per forward pass (--data), or rows per batch of packed passes (--tasks) (default 16, 1024)",
    },
    tokenizer: { type: "string", help: "tokenizer file, when none sits beside the model" },
    backend: backendFlag,
    checkpoint: checkpointFlag,
    json: { type: "boolean", help: "print one JSON object" },
  },
  codec: EvalArgs,
};

export const runEval = async (a: EvalArgs, io: Io): Promise<E.Either<AppError, void>> => {
  if (wantsTasks(a)) {
    if (a.data !== undefined) {
      return E.left(
        appError(
          "BadArgs",
          "Cannot evaluate on --data and on tasks at once",
          "run eval once with --data, once with --tasks",
        ),
      );
    }
    return runTasks(a, io);
  }
  if (a.data === undefined) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot run eval: give --data <corpus>, --tasks <names> or --task-file <F.jsonl>",
        "e.g. eval model.bin --tasks arc_easy,piqa, or eval model.bin --data corpus.txt",
      ),
    );
  }
  const p = await loadModelAndData(a.model, a.data, a.tokenizer, a.checkpoint);
  if (E.isLeft(p)) return p;
  const data = p.right.data;
  const { spec, weights } = p.right.model,
    ctx = a.ctx ?? Math.min(256, contextLimit(spec).limit),
    batch = a.batch ?? 16,
    evalTokens = a.tokens ?? 0;
  if (ctx > contextLimit(spec).limit) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot evaluate with --ctx ${ctx}: ${contextLimit(spec).why}`,
        `give --ctx ${contextLimit(spec).limit} or less`,
      ),
    );
  }
  const windows = evalStarts(data.val.length, ctx, evalTokens > 0 ? evalTokens : Infinity).length;
  if (windows === 0) {
    return E.left(
      appError(
        "BadInput",
        `Cannot evaluate: the validation split has ${data.val.length} tokens, fewer than one window of ${ctx + 1}`,
        "give a larger corpus or a smaller --ctx",
      ),
    );
  }
  const loss = await withBackend(
    devicesOf(io),
    a.backend,
    (b) => scoreModel(evaluatorFactory(b), { spec, weights }, data.val, { batch, ctx, evalTokens }),
  );
  if (E.isLeft(loss)) return loss;
  const r = { loss: loss.right, perplexity: Math.exp(loss.right), tokens: windows * ctx, ctx, model: a.model };
  io.out(
    a.json
      ? JSON.stringify(r) + "\n"
      : `loss ${r.loss.toFixed(4)}, perplexity ${r.perplexity.toFixed(2)} over ${
        r.tokens.toLocaleString("en-US")
      } validation tokens (windows of ${ctx})\n`,
  );
  return E.right(undefined);
};
