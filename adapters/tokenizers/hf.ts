/**
 * Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) through @huggingface/tokenizers, which
 * runs the file's normalizer, pre-tokenizer, model and decoder in pure JS, with a memo in front of its
 * model (hf_memo.ts). Supported model type:
 * BPE, both byte-level (GPT-2 style: ByteLevel pre-tokenizer/decoder) and SentencePiece style
 * (▁ for spaces, `<0xXX>` byte fallback, one leading space stripped, as Llama and tinystories656K).
 * Streaming detokenization (pieceBytes) follows the same decoder, piece by piece.
 * BOS/EOS come from tokenizer_config.json's bos_token/eos_token (hf_conventions.ts), else the post-processor's
 * template token, else well-known names; whether a text starts with BOS from add_bos_token, else the template.
 * @module
 */
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import * as E from "fp-ts/lib/Either.js";
import { bytesToUnicode } from "../../core/text/byte_bpe.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { hfBpeEncoder, type HfBpeSpec } from "../../core/text/hf_bpe.ts";
import { encodeViaSink, type IdSink, type SinkEncoder, type Tokenizer } from "../../core/text/tokenizer.ts";
import { decodeHfBpeSpec } from "./hf_spec.ts";
import { memoizeBpeModel } from "./hf_memo.ts";
import { decodeTokenizerConfig, templateBos, unsupportedComponent } from "./hf_conventions.ts";

export const SUPPORTED_MODELS = ["BPE"] as const;
const PROBE = "Once upon a time, 3 cats said: \u00e9\u00e8 \u{1F600}!\n";
const BOS_NAMES = ["<s>", "<|begin_of_text|>", "<|endoftext|>", "<|start_story|>", "<bos>"];
const EOS_NAMES = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<|end_story|>", "<eos>"];

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);
const tokenName = (
  x: unknown,
):
  | string
  | undefined => (typeof x === "string" ? x : isObj(x) && typeof x.content === "string" ? x.content : undefined);
/** Every component type named anywhere in a (possibly Sequence) decoder or pre-tokenizer. */
const typesIn = (x: unknown): ReadonlyArray<Json> =>
  isObj(x) ? [x, ...Object.values(x).flatMap((v) => (Array.isArray(v) ? v.flatMap(typesIn) : []))] : [];

const pieceCodec = (json: Json) => {
  const parts = [...typesIn(json.decoder), ...typesIn(json.pre_tokenizer)];
  if (parts.some((p) => p.type === "ByteLevel")) {
    // A piece with a character outside the byte alphabet (an added token such as Pythia's runs of spaces) is
    // its own UTF-8 text, as the tokenizers crate's ByteLevel decoder reads it.
    const byteOf = new Map(bytesToUnicode().map((c, b) => [c, b])), utf8 = new TextEncoder();
    const bytes = (piece: string) => {
      const chars = Array.from(piece);
      return chars.every((c) => byteOf.has(c)) ? Uint8Array.from(chars, (c) => byteOf.get(c)!) : utf8.encode(piece);
    };
    return { strip: false, bytes };
  }
  const strip = typesIn(json.decoder).some((p) => p.type === "Strip" && typeof p.start === "number" && p.start > 0);
  const utf8 = new TextEncoder();
  return {
    strip,
    bytes: (piece: string) => {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      return m ? Uint8Array.of(parseInt(m[1]!, 16)) : utf8.encode(piece.replaceAll("\u2581", " "));
    },
  };
};

/**
 * Every id an integer below the number of entries (vocabulary plus added tokens), checked before the
 * library sees the file: it sizes a table by the largest id, so one corrupt id of 2^30 took a minute.
 */
const idProblem = (json: Json): string | undefined => {
  const vocab = isObj(json.model) && isObj(json.model.vocab) ? Object.entries(json.model.vocab) : [];
  const added = Array.isArray(json.added_tokens)
    ? json.added_tokens.map((t): [string, unknown] => [tokenName(t) ?? "?", isObj(t) ? t.id : undefined])
    : [];
  const n = vocab.length + added.length,
    wrong = [...vocab, ...added].find(([, id]) =>
      !Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= n
    );
  return wrong === undefined
    ? undefined
    : `token ${JSON.stringify(wrong[0])} has id ${JSON.stringify(wrong[1])}, not an integer in 0..${n - 1}`;
};

const REQUIRED = ["model", "decoder", "post_processor", "pre_tokenizer", "normalizer"];

/** What the Tokenizer is built on: our encoder (hf_bpe.ts) or the library's, with the library decoding. */
interface Engine {
  readonly vocab: ReadonlyMap<string, number>; // every piece (added tokens included) → id
  readonly pieceOf: (id: number) => string | undefined;
  readonly special: ReadonlySet<number>;
  readonly encodeText: (text: string, sink: IdSink) => void;
  readonly decodeIds: (ids: ReadonlyArray<number>) => string;
}

const rejected = (e: unknown) => `the tokenizer library rejects it (${e instanceof Error ? e.message : String(e)})`;
const libraryDecode = (hf: HfTokenizer) => (ids: ReadonlyArray<number>) =>
  ids.length === 0 ? "" : hf.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });

/**
 * Our encoder; the library is built only when a text is decoded (workers never decode, and building
 * it costs a second copy of the vocabulary and merges).
 */
const ownEngine = (json: Json, cfg: Json, spec: HfBpeSpec): E.Either<string, Engine> => {
  const pieces: string[] = [];
  for (const [piece, id] of spec.vocab) pieces[id] = piece;
  for (const t of spec.added) pieces[t.id] = t.content;
  const vocab = new Map<string, number>();
  pieces.forEach((p, id) => vocab.set(p, id));
  let hf: HfTokenizer | undefined, encoder: ((text: string, sink: IdSink) => void) | undefined;
  return E.right({
    vocab,
    pieceOf: (id) => pieces[id],
    special: new Set(spec.added.filter((t) => t.special).map((t) => t.id)),
    encodeText: (text, sink) => (encoder ??= hfBpeEncoder(spec))(text, sink), // built on first use: not in the CLI's thread
    decodeIds: (ids) => libraryDecode(hf ??= new HfTokenizer(json, cfg))(ids),
  });
};

const libraryEngine = (json: Json, cfg: Json): E.Either<string, Engine> => {
  let hf: HfTokenizer;
  try { // a damaged part may pass the constructor and throw on first use: use it once here
    hf = memoizeBpeModel(new HfTokenizer(json, cfg));
    hf.decode(hf.encode(PROBE, { add_special_tokens: false }).ids, { skip_special_tokens: true });
  } catch (e) {
    return E.left(rejected(e));
  }
  return E.right({
    vocab: hf.get_vocab(true),
    pieceOf: (id) => hf.id_to_token(id),
    special: new Set([...hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id)),
    encodeText: (text, sink) => sink.pushAll(hf.encode(text, { add_special_tokens: false }).ids),
    decodeIds: libraryDecode(hf),
  });
};

/** Build a tokenizer from parsed tokenizer.json and (possibly empty) tokenizer_config.json. */
export const decodeHfTokenizer = (json: unknown, config: unknown, source: string): E.Either<AppError, Tokenizer> => {
  const bad = (why: string, hint = "use the tokenizer.json that came with the model") =>
    appError("BadFile", `Cannot load tokenizer ${source}: ${why}`, hint);
  if (!isObj(json) || !isObj(json.model)) {
    return E.left(bad('it has no "model" object; is it a Hugging Face tokenizer.json?'));
  }
  const type = json.model.type ?? (isObj(json.model.vocab) && json.model.merges !== undefined ? "BPE" : undefined);
  if (!SUPPORTED_MODELS.includes(type as "BPE")) {
    return E.left(
      bad(
        `model type ${JSON.stringify(type)} is not supported`,
        `supported: ${
          SUPPORTED_MODELS.join(", ")
        }; convert the tokenizer or use GPT-2 encoder.json/vocab.bpe or a llama2.c tokenizer.bin`,
      ),
    );
  }
  const ids = idProblem(json);
  if (ids !== undefined) return E.left(bad(ids));
  const missing = REQUIRED.find((k) => !(k in json));
  if (missing !== undefined) return E.left(bad(`it has no "${missing}" entry (null when unused)`));
  const component = unsupportedComponent(json);
  if (component !== undefined) {
    return E.left(bad(`its ${component} is not supported`, "use a BPE tokenizer.json of the GPT-2 or Llama kind"));
  }
  const cfg = isObj(config) ? config : {};
  const spec = decodeHfBpeSpec(json, cfg);
  const engine = E.isRight(spec) ? ownEngine(json, cfg, spec.right) : libraryEngine(json, cfg);
  if (E.isLeft(engine)) return E.left(bad(engine.left));
  const { vocab, pieceOf, special, encodeText, decodeIds } = engine.right;
  const note = E.isLeft(spec)
    ? `tokenizer ${source}: the fast encoder does not implement its ${spec.left}; the slower library encodes it`
    : undefined;
  let vocabSize = 0; // a loop, not Math.max(...ids): spreading a 128k vocabulary overflows the stack
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  if (vocabSize === 0) return E.left(bad("its vocabulary is empty"));
  const conv = decodeTokenizerConfig(cfg, `beside ${source}`); // load.ts names the file itself;
  if (E.isLeft(conv)) return conv;
  const template = templateBos(json.post_processor);
  const pick = (named: string | null | undefined, names: ReadonlyArray<string>) =>
    typeof named === "string" ? vocab.get(named) : names.map((n) => vocab.get(n)).find((id) => id !== undefined);
  const bos = pick(conv.right.bosToken ?? template, BOS_NAMES), eos = pick(conv.right.eosToken, EOS_NAMES) ?? bos;
  if (bos === undefined || eos === undefined) {
    return E.left(bad("it names no BOS token", "put tokenizer_config.json (with bos_token) beside tokenizer.json"));
  }
  // transformers: add_bos_token where the config says (Llama's classes rebuild the template from it), else the template
  const addsBos = conv.right.addBosToken ?? template !== undefined;
  const codec = pieceCodec(json);
  const pieceBytes = (prev: number, token: number): Uint8Array => {
    const piece = pieceOf(token);
    if (piece === undefined || special.has(token)) return new Uint8Array(0);
    const b = codec.bytes(piece);
    return codec.strip && prev === bos && b[0] === 0x20 ? b.subarray(1) : b;
  };
  const encodeInto: SinkEncoder["encodeInto"] = (text, opts, sink) => {
    if (opts.bos) sink.push(bos);
    encodeText(text, sink);
    if (opts.eos) sink.push(eos);
  };
  return E.right({
    vocabSize,
    bos,
    eos,
    addsBos,
    pieceBytes,
    encode: encodeViaSink(encodeInto),
    encodeInto,
    decode: decodeIds,
    ...(note !== undefined ? { note } : {}),
  });
};
