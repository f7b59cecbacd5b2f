/**
 * `inheritune sample <model>`: generate text, as llama2.c's run.c (prompt echoed, then sampled
 * tokens, then a newline). Temperature 0 is greedy and reproduces run.c's output exactly. The prompt
 * is read as the tokenizer's convention says (core/text/conventions.ts: BOS for Llama, none for
 * GPT-2), and generation stops at generation_config.json's eos_token_id, else the tokenizer's stops.
 * `--json` prints one object instead: prompt_ids, ids (generated only) and text (of ids only).
 * @module
 */
import * as t from "io-ts";
import * as E from "fp-ts/lib/Either.js";
import { loadTokenizer } from "../../adapters/formats/models.ts";
import { loadModelOrCheckpoint } from "../../adapters/train/run_dir.ts";
import type { Model } from "../../adapters/formats/models.ts";
import { type DecodeState, decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { type AppError, isAppError } from "../../core/errors.ts";
import { generate, type Step } from "../../core/generate/generate.ts";
import { gpuDecodeStep } from "../../gpu/model/decode.ts";
import { createGpuModel } from "../../gpu/model/model.ts";
import { type Backend, BackendArg, withBackend } from "../../adapters/devices/backend.ts";
import { joinPieces, textStream, type Tokenizer } from "../../core/text/tokenizer.ts";
import { promptIds, stopIds } from "../../core/text/conventions.ts";
import { loadGenerationConventions } from "../../adapters/tokenizers/load.ts";
import { contextLimit } from "../../core/model/spec.ts";
import { backendFlag, checkpointFlag, type CommandSpec, NonNegIntArg, NumberArg } from "../args.ts";
import { devicesOf, type Io } from "../io.ts";

const Probability = t.refinement(NumberArg, (p) => p > 0 && p <= 1, "number in (0, 1]");
const Temperature = t.refinement(NumberArg, (x) => x >= 0, "number ≥ 0");

const SampleArgs = t.intersection([
  t.type({ model: t.string }),
  t.partial({
    tokenizer: t.string,
    prompt: t.string,
    "max-new-tokens": NonNegIntArg,
    temperature: Temperature,
    "top-p": Probability,
    seed: NonNegIntArg,
    backend: BackendArg,
    checkpoint: t.boolean,
    json: t.boolean,
  }),
]);

export const sampleCommand: CommandSpec<t.TypeOf<typeof SampleArgs>> = {
  name: "sample",
  usage:
    "sample <model> [--tokenizer F] [--prompt S] [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N] [--backend webgpu|cpu] [--checkpoint] [--json]",
  summary: "Generate text from a model (a llama2.c .bin). Temperature 0 is greedy.",
  positionals: ["model"],
  flags: {
    tokenizer: { type: "string", help: "tokenizer file, when none sits beside the model" },
    prompt: {
      type: "string",
      help: "text to start from, read with BOS when the tokenizer adds one (Llama: <s>; GPT-2: none) " +
        "(default: nothing, BOS only)",
    },
    "max-new-tokens": { type: "string", help: "tokens to generate (default 256)" },
    temperature: { type: "string", help: "0 = greedy (default 1.0)" },
    "top-p": { type: "string", help: "nucleus sampling mass (default 0.9)" },
    seed: { type: "string", help: "random seed (default: the clock)" },
    backend: backendFlag,
    checkpoint: checkpointFlag,
    json: {
      type: "boolean",
      help: 'print one JSON object {"prompt_ids", "ids", "text"}: the prompt as read (BOS included), ' +
        "the generated ids, and the text of the generated ids only (without the prompt)",
    },
  },
  codec: SampleArgs,
};

/** The generation step of a backend, and what to release after. */
const stepper = async (
  b: Backend,
  spec: Model["spec"],
  weights: Model["weights"],
): Promise<E.Either<AppError, { step: Step<unknown>; init: unknown; done: () => void }>> => {
  if (b._tag === "cpu") {
    return E.right({
      step: (st, token) => decodeStep(spec, weights, st as DecodeState, token),
      init: startDecoding(spec),
      done: () => {},
    });
  }
  const model = await createGpuModel(b.kernels, spec, weights, { profile: b.profile })();
  if (E.isLeft(model)) return model;
  const decoder = model.right.decoder();
  if (E.isLeft(decoder)) return (model.right.destroy(), decoder);
  return E.right({
    step: gpuDecodeStep as Step<unknown>,
    init: decoder.right,
    done: () => (decoder.right.destroy(), model.right.destroy()),
  });
};

/** What `--json` prints: the prompt's ids as the model read them, the generated ids, and their text alone. */
const sampleJson = (tok: Tokenizer, prompt: ReadonlyArray<number>, ids: ReadonlyArray<number>) =>
  JSON.stringify({ prompt_ids: prompt, ids, text: joinPieces(tok, ids, prompt.at(-1)!) }) + "\n";

export const runSample = async (a: t.TypeOf<typeof SampleArgs>, io: Io): Promise<E.Either<AppError, void>> => {
  const model = await loadModelOrCheckpoint(a.model, a.checkpoint)();
  if (E.isLeft(model)) return model;
  const tok = await loadTokenizer(model.right, a.tokenizer)();
  if (E.isLeft(tok)) return tok;
  const generation = await loadGenerationConventions(model.right.source);
  if (E.isLeft(generation)) return generation;
  const { spec, weights } = model.right;
  const prompt = promptIds(tok.right, a.prompt ?? "");
  return withBackend(devicesOf(io), a.backend, async (backend) => {
    const s = await stepper(backend, spec, weights);
    if (E.isLeft(s)) return s;
    // Echo: the first prompt token's own text too, unless it is BOS (GPT-2's prompt has none).
    const text = textStream(tok.right, tok.right.bos), made: number[] = [];
    if (!a.json && prompt[0] !== tok.right.bos) io.out(text.push(prompt[0]!));
    const tokens = generate(s.right.step, s.right.init, prompt, {
      maxNewTokens: a["max-new-tokens"] ?? 256,
      sampler: { temperature: a.temperature ?? 1, topP: a["top-p"] ?? 0.9 },
      seed: a.seed ?? io.now(),
      stopTokens: stopIds(tok.right, generation.right.eosIds),
      contextLength: contextLimit(spec).limit, // Mistral: stops at its sliding window, where it is exact
    });
    try {
      let pos = 1; // generate yields the prompt after its first token, then the generated ones
      for await (const id of tokens) {
        if (pos++ >= prompt.length) made.push(id);
        if (!a.json) io.out(text.push(id));
      }
    } catch (e) {
      if (isAppError(e)) return E.left(e);
      throw e;
    } finally {
      s.right.done();
    }
    io.out(a.json ? sampleJson(tok.right, prompt, made) : text.end() + "\n");
    return E.right(undefined);
  });
};
