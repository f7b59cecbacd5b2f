/**
 * Finding and loading a tokenizer in any of the three formats we read, from a path a user gives or
 * from a model's own directory: HF `tokenizer.json` (+ `tokenizer_config.json` beside it),
 * GPT-2 `encoder.json` + `vocab.bpe`, llama2.c `tokenizer.bin` / `tok<V>.bin`. Searched in that
 * order; the files found are also what `inherit` copies next to the target.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { basename, dirname, join } from "node:path";
import { type AppError, appError } from "../../core/errors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { isDirectory, isFile, readText } from "../fs/files.ts";
import { loadGpt2Tokenizer } from "./gpt2.ts";
import { decodeHfTokenizer } from "./hf.ts";
import { decodeGenerationConfig, decodeTokenizerConfig, type GenerationConventions } from "./hf_conventions.ts";
import { loadLlama2cTokenizer } from "./llama2c.ts";

export type TokenizerFiles =
  | { readonly _tag: "hf"; readonly files: ReadonlyArray<string> } // tokenizer.json first, then its companions
  | { readonly _tag: "gpt2"; readonly files: readonly [string, string] } // encoder.json, vocab.bpe
  | { readonly _tag: "llama2c"; readonly files: readonly [string] };

const HF_COMPANIONS = ["tokenizer_config.json", "special_tokens_map.json"];

const hfFiles = async (json: string): Promise<TokenizerFiles> => {
  const extra: string[] = [];
  for (const c of HF_COMPANIONS) if (await isFile(join(dirname(json), c))) extra.push(join(dirname(json), c));
  return { _tag: "hf", files: [json, ...extra] };
};

/** The tokenizer files in a directory, by the search order above; undefined when there are none. */
const inDirectory = async (dir: string, vocabSize: number | undefined): Promise<TokenizerFiles | undefined> => {
  if (await isFile(join(dir, "tokenizer.json"))) return hfFiles(join(dir, "tokenizer.json"));
  if ((await isFile(join(dir, "encoder.json"))) && (await isFile(join(dir, "vocab.bpe")))) {
    return { _tag: "gpt2", files: [join(dir, "encoder.json"), join(dir, "vocab.bpe")] };
  }
  for (const f of ["tokenizer.bin", ...(vocabSize !== undefined ? [`tok${vocabSize}.bin`] : [])]) {
    if (await isFile(join(dir, f))) return { _tag: "llama2c", files: [join(dir, f)] };
  }
  return undefined;
};

/** What a named path is: a directory to search, a GPT-2 file (its partner beside it), a tokenizer.json, else llama2.c. */
const named = async (path: string, vocabSize: number | undefined): Promise<TokenizerFiles | undefined> => {
  if (await isDirectory(path)) return inDirectory(path, vocabSize);
  const name = basename(path), dir = dirname(path);
  if (name === "encoder.json" || name === "vocab.bpe") {
    return { _tag: "gpt2", files: [join(dir, "encoder.json"), join(dir, "vocab.bpe")] };
  }
  if (name.endsWith(".json")) return hfFiles(path);
  return { _tag: "llama2c", files: [path] };
};

/** The tokenizer files for a model: the path named, else those in the model's directory. */
export const findTokenizerFiles = async (
  modelSource: string | undefined,
  vocabSize: number | undefined,
  path: string | undefined,
): Promise<E.Either<AppError, TokenizerFiles>> => {
  const found = path !== undefined
    ? await named(path, vocabSize)
    : modelSource === undefined
    ? undefined
    : await inDirectory((await isDirectory(modelSource)) ? modelSource : dirname(modelSource), vocabSize);
  return found !== undefined ? E.right(found) : E.left(
    appError(
      "BadFile",
      `Cannot find a tokenizer ${
        path !== undefined ? `in ${path}` : `for ${modelSource}`
      }: no tokenizer.json, encoder.json + vocab.bpe, tokenizer.bin${
        vocabSize !== undefined ? ` or tok${vocabSize}.bin` : ""
      }`,
      "pass the model's tokenizer with --tokenizer <file or directory>",
    ),
  );
};

const readJson = async (path: string, what: string): Promise<E.Either<AppError, unknown>> => {
  const text = await readText(path, what)();
  if (E.isLeft(text)) return text;
  try {
    return E.right(JSON.parse(text.right));
  } catch {
    return E.left(
      appError(
        "BadFile",
        `Cannot parse ${what} ${path}: it is not valid JSON`,
        "use the file that came with the model",
      ),
    );
  }
};

export const loadTokenizerFiles =
  (f: TokenizerFiles, vocabSize: number | undefined): TE.TaskEither<AppError, Tokenizer> => async () => {
    if (f._tag === "gpt2") return loadGpt2Tokenizer(f.files[0], f.files[1])();
    if (f._tag === "llama2c") return loadLlama2cTokenizer(f.files[0], vocabSize)();
    const json = await readJson(f.files[0]!, "tokenizer");
    if (E.isLeft(json)) return json;
    const cfgPath = f.files.find((p) => basename(p) === "tokenizer_config.json");
    const cfg = cfgPath === undefined ? E.right({}) : await readJson(cfgPath, "tokenizer config");
    if (E.isLeft(cfg)) return cfg;
    const conv = decodeTokenizerConfig(cfg.right, cfgPath ?? "tokenizer_config.json");
    return E.isLeft(conv) ? conv : decodeHfTokenizer(json.right, cfg.right, f.files[0]!);
  };

/**
 * The EOS ids of a model's generation_config.json (beside its config.json), what generation stops at;
 * empty when the model has no such file (a llama2.c .bin, an older HF folder).
 */
export const loadGenerationConventions = async (
  modelSource: string,
): Promise<E.Either<AppError, GenerationConventions>> => {
  const dir = (await isDirectory(modelSource)) ? modelSource : dirname(modelSource);
  const path = join(dir, "generation_config.json");
  if (!(await isFile(path))) return E.right({ eosIds: [] });
  const json = await readJson(path, "generation config");
  return E.isLeft(json) ? json : decodeGenerationConfig(json.right, path);
};

/** Find and load; a tokenizer larger than the model's vocabulary is refused. */
export const findTokenizer = (
  modelSource: string | undefined,
  vocabSize: number | undefined,
  path: string | undefined,
): TE.TaskEither<AppError, Tokenizer> =>
async () => {
  const files = await findTokenizerFiles(modelSource, vocabSize, path);
  if (E.isLeft(files)) return files;
  const tok = await loadTokenizerFiles(files.right, vocabSize)();
  if (E.isRight(tok) && vocabSize !== undefined && tok.right.vocabSize > vocabSize) {
    return E.left(
      appError(
        "BadFile",
        `Cannot use tokenizer ${
          files.right.files[0]
        } with ${modelSource}: it has ${tok.right.vocabSize} tokens, the model ${vocabSize}`,
        "pass the tokenizer that belongs to this model with --tokenizer",
      ),
    );
  }
  return tok;
};
