/**
 * The conventions a Hugging Face model folder states beside its tokenizer.json, decoded with io-ts at
 * the edge: tokenizer_config.json's add_bos_token, bos_token, eos_token (a string, or an AddedToken
 * object `{content, …}`, or null) and the two flags the slow tokenizers read (remove_space,
 * do_lowercase_and_remove_accent); generation_config.json's eos_token_id (one id or a list: Qwen2.5
 * Instruct stops at either of two) and bos_token_id. Real files carry many other keys
 * (chat_template, added_tokens_decoder, model_max_length…): they pass untouched; the keys used here
 * must have their documented types, or the file is refused naming the key.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { type AppError, appError } from "../../core/errors.ts";
import { describeErrors } from "../../core/codecs/report.ts";

/** A special token as tokenizer_config.json writes it: its text, or an AddedToken object, or null (none). */
const TokenRef = t.union([t.string, t.type({ content: t.string }), t.null], "string | {content} | null");

const TokenizerConfig = t.partial({
  add_bos_token: t.boolean,
  bos_token: TokenRef,
  eos_token: TokenRef,
  remove_space: t.boolean,
  do_lowercase_and_remove_accent: t.boolean,
}, "TokenizerConfig");

/** The keys we use; a token absent is undefined, one named null is null (the file says there is none). */
export interface TokenizerConventions {
  readonly addBosToken?: boolean;
  readonly bosToken?: string | null;
  readonly eosToken?: string | null;
  readonly removeSpace: boolean;
  readonly lowercaseAndRemoveAccent: boolean;
}

const tokenText = (x: t.TypeOf<typeof TokenRef> | undefined): string | null | undefined =>
  x === undefined || x === null || typeof x === "string" ? x : x.content;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

const refused = (what: string, source: string, why: string) =>
  appError("BadFile", `Cannot read ${what} ${source}: ${why}`, "use the file that came with the model");

/** A parsed JSON file decoded by `codec`, refused in one line naming the file when it is no object or does not decode. */
const decodeObject = <A>(codec: t.Decoder<unknown, A>, what: string, json: unknown, source: string) =>
  isObject(json)
    ? E.mapLeft((errs: t.Errors) => refused(what, source, describeErrors(errs)))(codec.decode(json))
    : E.left(refused(what, source, "it is not a JSON object"));

/** Decode a parsed tokenizer_config.json (`{}` when the folder has none). */
export const decodeTokenizerConfig = (json: unknown, source: string): E.Either<AppError, TokenizerConventions> => {
  return pipe(
    decodeObject(TokenizerConfig, "tokenizer config", json, source),
    E.map((c) => ({
      ...(c.add_bos_token !== undefined ? { addBosToken: c.add_bos_token } : {}),
      ...("bos_token" in c ? { bosToken: tokenText(c.bos_token) } : {}),
      ...("eos_token" in c ? { eosToken: tokenText(c.eos_token) } : {}),
      removeSpace: c.remove_space === true,
      lowercaseAndRemoveAccent: c.do_lowercase_and_remove_accent === true,
    })),
  );
};

const TokenId = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, "TokenId");
const GenerationConfig = t.partial({
  bos_token_id: t.union([TokenId, t.null]),
  eos_token_id: t.union([TokenId, t.array(TokenId), t.null]),
}, "GenerationConfig");

/** What generation_config.json says about stopping: the EOS ids (empty when it names none). */
export interface GenerationConventions {
  readonly eosIds: ReadonlyArray<number>;
  readonly bosId?: number;
}

export const decodeGenerationConfig = (json: unknown, source: string): E.Either<AppError, GenerationConventions> => {
  return pipe(
    decodeObject(GenerationConfig, "generation config", json, source),
    E.map((c) => ({
      eosIds: c.eos_token_id === undefined || c.eos_token_id === null
        ? []
        : typeof c.eos_token_id === "number"
        ? [c.eos_token_id]
        : c.eos_token_id,
      ...(typeof c.bos_token_id === "number" ? { bosId: c.bos_token_id } : {}),
    })),
  );
};

type Json = Record<string, unknown>;

/**
 * Whether tokenizer.json's post-processor starts a single text with a special token (Llama's
 * TemplateProcessing `<s> $A`, also inside a Sequence as in Llama 3), and which; undefined when it
 * adds none (GPT-2's, Pythia's ByteLevel, SmolLM2's null).
 */
export const templateBos = (postProcessor: unknown): string | undefined => {
  if (!isObject(postProcessor)) return undefined;
  if (postProcessor.type === "Sequence" && Array.isArray(postProcessor.processors)) {
    return postProcessor.processors.map(templateBos).find((x) => x !== undefined);
  }
  if (postProcessor.type !== "TemplateProcessing" || !Array.isArray(postProcessor.single)) return undefined;
  const first = postProcessor.single[0] as Json | undefined;
  const special = isObject(first) && isObject(first.SpecialToken) ? first.SpecialToken : undefined;
  return typeof special?.id === "string" ? special.id : undefined;
};

const DECODERS = new Set(["ByteLevel", "Replace", "ByteFallback", "Fuse", "Strip", "Metaspace", "Sequence"]);

/**
 * What of tokenizer.json's post-processor or decoder we cannot follow, named, or undefined: a
 * post-processor may be ByteLevel (it adds nothing), TemplateProcessing whose single text is `[BOS] $A`,
 * or a Sequence of them; a decoder any of ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace,
 * Sequence (what hf.ts's pieces and the library's decode agree on).
 */
export const unsupportedComponent = (json: Json): string | undefined => {
  const post = (p: unknown): string | undefined => {
    if (p === null || p === undefined) return undefined;
    if (!isObject(p)) return `post_processor ${JSON.stringify(p)}`;
    if (p.type === "ByteLevel") return undefined;
    if (p.type === "Sequence" && Array.isArray(p.processors)) return p.processors.map(post).find((x) => x);
    if (p.type === "TemplateProcessing" && Array.isArray(p.single)) {
      const parts = p.single.map((x) => (isObject(x) && isObject(x.SpecialToken) ? "special" : "text"));
      const ok = parts.join(" ") === "text" || parts.join(" ") === "special text";
      return ok ? undefined : `post_processor TemplateProcessing ${templateText(p.single)} (only "[BOS] $A" is)`;
    }
    return `post_processor ${JSON.stringify(p.type)}`;
  };
  const decoder = (d: unknown): string | undefined => {
    if (d === null || d === undefined) return undefined;
    if (!isObject(d) || !DECODERS.has(String(d.type))) return `decoder ${JSON.stringify(isObject(d) ? d.type : d)}`;
    return Array.isArray(d.decoders) ? d.decoders.map(decoder).find((x) => x) : undefined;
  };
  return post(json.post_processor) ?? decoder(json.decoder);
};

const templateText = (single: ReadonlyArray<unknown>): string =>
  JSON.stringify(
    single.map((x) =>
      isObject(x) && isObject(x.SpecialToken)
        ? String(x.SpecialToken.id)
        : isObject(x) && isObject(x.Sequence)
        ? "$A"
        : "?"
    ).join(" "),
  );
