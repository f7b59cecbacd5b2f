/**
 * Reading a tokenizer.json into core/text/hf_bpe.ts's spec: the BPE model (vocab, merges in the
 * "a b" string form or the [a, b] array form, unk_token, fuse_unk, byte_fallback, ignore_merges),
 * the normalizers (NFC/NFD/NFKC/NFKD, Lowercase, StripAccents, Prepend, Replace of a String, Strip,
 * Sequence), the pre-tokenizers (ByteLevel last, Digits, Split, Metaspace, Sequence) and the added
 * tokens. Anything else is refused with one line naming the file and the component (hf.ts then
 * falls back to the library, and says so). Defaults are the library's (the tests' oracle).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type { AddedTokenSpec, HfBpeSpec, NormalizerSpec, PreTokenizerSpec } from "../../core/text/hf_bpe.ts";

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);
type Got<A> = E.Either<string, A>;
const all = <A>(xs: ReadonlyArray<Got<A>>): Got<A[]> => {
  const out: A[] = [];
  for (const x of xs) {
    if (E.isLeft(x)) return x;
    out.push(x.right);
  }
  return E.right(out);
};
const str = (x: unknown, fallback: string): string => (typeof x === "string" ? x : fallback);
const what = (x: unknown) => (isObj(x) ? JSON.stringify(x.type) : JSON.stringify(x));

const normalizerSpec = (n: unknown): Got<NormalizerSpec | null> => {
  if (n === null || n === undefined) return E.right(null);
  if (!isObj(n)) return E.left(`normalizer ${what(n)}`);
  switch (n.type) {
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD":
      return E.right({ kind: "unicode", form: n.type });
    case "Lowercase":
      return E.right({ kind: "lowercase" });
    case "StripAccents":
      return E.right({ kind: "strip_accents" });
    case "Prepend":
      return typeof n.prepend === "string"
        ? E.right({ kind: "prepend", prepend: n.prepend })
        : E.left("normalizer Prepend without a prepend string");
    case "Strip":
      return E.right({ kind: "strip", left: n.strip_left === true, right: n.strip_right === true });
    case "Replace":
      return isObj(n.pattern) && typeof n.pattern.String === "string"
        ? E.right({ kind: "replace", pattern: n.pattern.String, content: str(n.content, "") })
        : E.left("normalizer Replace with a Regex pattern");
    case "Sequence":
      return Array.isArray(n.normalizers)
        ? E.map((parts: Array<NormalizerSpec | null>) => ({
          kind: "sequence" as const,
          parts: parts.filter((p) => p !== null),
        }))(all(n.normalizers.map(normalizerSpec)))
        : E.left("normalizer Sequence without normalizers");
    default:
      return E.left(`normalizer ${what(n)}`);
  }
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const splitSpec = (p: Json): Got<PreTokenizerSpec> => {
  const invert = p.invert === true, pat = isObj(p.pattern) ? p.pattern : {};
  let source: string;
  if (typeof pat.String === "string") source = invert ? escapeRegExp(pat.String) : `(${escapeRegExp(pat.String)})`;
  else if (typeof pat.Regex === "string") source = pat.Regex;
  else return E.left("pre-tokenizer Split without a String or Regex pattern");
  try {
    const pattern = new RegExp(source, "gu");
    const removed = typeof p.behavior === "string" && p.behavior.toLowerCase() === "removed";
    return E.right({ kind: "split", pattern, mode: invert ? "matches" : removed ? "split" : "isolated" });
  } catch {
    return E.left(`pre-tokenizer Split with the regex ${JSON.stringify(source)}, which JavaScript cannot compile`);
  }
};

const preTokenizerSpec = (p: unknown, last: boolean): Got<PreTokenizerSpec | null> => {
  if (p === null || p === undefined) return E.right(null);
  if (!isObj(p)) return E.left(`pre-tokenizer ${what(p)}`);
  switch (p.type) {
    case "ByteLevel":
      return last
        ? E.right({ kind: "byte_level", addPrefixSpace: p.add_prefix_space === true, useRegex: p.use_regex !== false })
        : E.left("pre-tokenizer ByteLevel before another pre-tokenizer");
    case "Digits":
      return E.right({ kind: "digits", individual: p.individual_digits === true });
    case "Split":
      return splitSpec(p);
    case "Metaspace": {
      const replacement = str(p.replacement, "\u2581"), scheme = str(p.prepend_scheme, "always");
      if (scheme !== "always" && scheme !== "first" && scheme !== "never") {
        return E.left(`pre-tokenizer Metaspace with prepend_scheme ${JSON.stringify(scheme)}`);
      }
      return E.right({ kind: "metaspace", replacement, strRep: str(p.str_rep, "") || replacement, prepend: scheme });
    }
    case "Sequence": {
      if (!Array.isArray(p.pretokenizers)) return E.left("pre-tokenizer Sequence without pretokenizers");
      const parts = p.pretokenizers;
      return E.map((xs: Array<PreTokenizerSpec | null>) => ({
        kind: "sequence" as const,
        parts: xs.filter((x) => x !== null),
      }))(all(parts.map((x, i) => preTokenizerSpec(x, last && i === parts.length - 1))));
    }
    default:
      return E.left(`pre-tokenizer ${what(p)}`);
  }
};

const mergesOf = (m: unknown): Got<Array<[string, string]>> => {
  if (!Array.isArray(m)) return E.left('model without a "merges" list');
  if (m.length > 0 && Array.isArray(m[0])) { // the array form: every merge a pair of strings
    const bad = m.findIndex((x) => !Array.isArray(x) || x.length !== 2 || x.some((y) => typeof y !== "string"));
    return bad >= 0 ? E.left(`model merge ${bad} ${JSON.stringify(m[bad])}, not a pair of strings`) : E.right(m);
  }
  const bad = m.findIndex((x) => typeof x !== "string");
  if (bad >= 0) return E.left(`model merge ${bad} ${JSON.stringify(m[bad])}, not a string`);
  // "a b" is split at its first space (a third part is dropped, as the library does); one without a space never applies
  return E.right((m as string[]).map((x) => x.split(" ", 2)).filter((x): x is [string, string] => x.length === 2));
};

const addedOf = (a: unknown): Got<AddedTokenSpec[]> => {
  if (a === undefined || a === null) return E.right([]);
  if (!Array.isArray(a)) return E.left("added_tokens that are not a list");
  return all(a.map((t, i): Got<AddedTokenSpec> => {
    if (!isObj(t) || typeof t.content !== "string" || !Number.isSafeInteger(t.id)) {
      return E.left(`added token ${i} without a content string and an integer id`);
    }
    const special = t.special === true;
    return E.right({
      content: t.content,
      id: t.id as number,
      special,
      normalized: typeof t.normalized === "boolean" ? t.normalized : !special,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
    });
  }));
};

/** The spec of a BPE tokenizer.json, or what it holds that the encoder does not implement. */
export const decodeHfBpeSpec = (json: Json, config: Json): Got<HfBpeSpec> => {
  const model = json.model;
  if (!isObj(model) || !isObj(model.vocab)) return E.left("model without a vocab object");
  if (typeof model.end_of_word_suffix === "string" && model.end_of_word_suffix !== "") {
    return E.left("model end_of_word_suffix");
  }
  if (typeof model.continuing_subword_suffix === "string" && model.continuing_subword_suffix !== "") {
    return E.left("model continuing_subword_suffix");
  }
  const vocab = new Map(Object.entries(model.vocab) as Array<[string, number]>);
  const unk = typeof model.unk_token === "string" ? model.unk_token : null;
  if (unk !== null && !vocab.has(unk)) return E.left(`model unk_token ${JSON.stringify(unk)}, not in the vocabulary`);
  const merges = mergesOf(model.merges), added = addedOf(json.added_tokens);
  const normalizer = normalizerSpec(json.normalizer), pre = preTokenizerSpec(json.pre_tokenizer, true);
  if (E.isLeft(merges)) return merges;
  if (E.isLeft(added)) return added;
  if (E.isLeft(normalizer)) return normalizer;
  if (E.isLeft(pre)) return pre;
  return E.right({
    vocab,
    merges: merges.right,
    unk,
    fuseUnk: model.fuse_unk === true,
    byteFallback: model.byte_fallback === true,
    ignoreMerges: model.ignore_merges === true,
    added: added.right,
    normalizer: normalizer.right,
    preTokenizer: pre.right,
    removeSpace: config.remove_space === true,
    lowercaseAndRemoveAccent: config.do_lowercase_and_remove_accent === true,
  });
};
